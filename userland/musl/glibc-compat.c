/* What Rust's standard library for x86_64-unknown-linux-gnu asks of glibc
   beyond the C library musl provides, for the static device link of ibox
   against musl (userland/build.rs says why; GCC's unwinder, which would
   also ask for glibc's _dl_find_object, is left out by
   userland/src/no_unwind.rs).  Each answer makes std take
   the path it takes on a C library that is not glibc.  It includes no
   header, so the system's compiler builds it for either C library. */

int res_init(void);

/* std parses this to decide whether posix_spawn is safe (glibc >= 2.24)
   and whether a failed name lookup needs res_init (glibc < 2.26).  A
   string that is no glibc version makes std fork and exec, and never call
   res_init, as on other C libraries. */
const char *gnu_get_libc_version(void)
{
	return "musl";
}

/* glibc's name for res_init, which the libc crate links against. */
int __res_init(void)
{
	return res_init();
}
