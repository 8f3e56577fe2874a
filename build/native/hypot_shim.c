/* Bind hypot() to the old glibc symbol version so that the binary loads on glibc 2.34
 * (provided.al2023). glibc 2.35 added a new default hypot@@GLIBC_2.35; the static
 * libpython built on a newer host refers to it. Linking with -Wl,--wrap=hypot sends every
 * reference to __wrap_hypot below, which calls the old, still exported, version.
 * See docs/native.md ("glibc"). */
#if defined(__x86_64__)
__asm__(".symver __hypot_compat, hypot@GLIBC_2.2.5");
#elif defined(__aarch64__)
__asm__(".symver __hypot_compat, hypot@GLIBC_2.17");
#else
#error "hypot_shim.c: add the oldest hypot symbol version of this architecture"
#endif

double __hypot_compat(double x, double y);

double __wrap_hypot(double x, double y) { return __hypot_compat(x, y); }
