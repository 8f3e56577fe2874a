"""What the deployed stack shows about itself: the CloudWatch dashboard and alarms of template.yaml,
generated from the metric catalog (`remote_services.obs.catalog`) and the template's own resources."""
