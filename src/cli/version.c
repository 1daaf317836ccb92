/* version: rescuetui --version. Says which build this is (static or dynamic) and which
 * library versions it runs with, so an admin can tell the copy on a rescue stick from
 * the one a distribution installed, and a bug report names what was linked.
 *
 * RT_PKG_VERSIONS ("mount=2.38.1 blkid=2.38.1 ...") is what pkg-config said at build
 * time for each package the Makefile links; the static build adds RT_STATIC, the musl
 * version and the Debian source packages, from static/build-deps.sh. Where a library tells its
 * version at run time, that is printed instead, with the build-time one when the two differ (a
 * dynamic build that runs against newer shared libraries). ncursesw's curses_version()
 * belongs to the console (curses stays there): its build-time version is printed. */
#include "cli/cli.h"

#include <blkid.h>
#include <libmount.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif
#ifdef RT_HAVE_EXT2FS
#include <sys/types.h> /* before ext2fs.h, which needs dev_t and mode_t (musl) */

#include <ext2fs/ext2fs.h>
#endif

#ifndef RT_PKG_VERSIONS
#define RT_PKG_VERSIONS ""
#endif

/* The version the library reports at run time, or NULL when it has no such call. */
static const char *runtime_version(const char *pkg, char *buf, size_t len)
{
	const char *v = NULL;

	if (strcmp(pkg, "mount") == 0) {
		mnt_get_library_version(&v);
	} else if (strcmp(pkg, "blkid") == 0) {
		blkid_get_library_version(&v, NULL);
#ifdef RT_HAVE_EXT2FS
	} else if (strcmp(pkg, "ext2fs") == 0) {
		ext2fs_get_library_version(&v, NULL);
#endif
	} else if (strcmp(pkg, "libxxhash") == 0) {
		unsigned n = XXH_versionNumber();

		snprintf(buf, len, "%u.%u.%u", n / 10000, n / 100 % 100, n % 100);
		v = buf;
	}
	return v;
}

/* One "NAME=VERSION" word of RT_PKG_VERSIONS, printed as "NAME VERSION". */
static void print_pkg(FILE *f, const char *word, size_t n, bool first)
{
	char pkg[64], built[64], buf[32];
	const char *eq = memchr(word, '=', n), *now;
	size_t k = eq ? (size_t)(eq - word) : n;

	if (k >= sizeof(pkg) || n - k >= sizeof(built))
		return;
	memcpy(pkg, word, k);
	pkg[k] = '\0';
	snprintf(built, sizeof(built), "%.*s", eq ? (int)(n - k - 1) : 0, eq ? eq + 1 : "");
	now = runtime_version(pkg, buf, sizeof(buf));
	fprintf(f, "%s%s %s", first ? "" : ", ", pkg, now ? now : built);
	if (now && *built && strcmp(now, built) != 0)
		fprintf(f, " (built with %s)", built);
}

void cli_version(FILE *f)
{
	const char *p = RT_PKG_VERSIONS;
	bool first = true;

	fprintf(f, "rescuetui %s\n", RT_VERSION);
#ifdef RT_STATIC
	fprintf(f, "build: static, musl %s; needs no shared library\n", RT_MUSL_VERSION);
#elif defined(__GLIBC__)
	fprintf(f, "build: dynamic, glibc %s\n", gnu_get_libc_version());
#else
	fprintf(f, "build: dynamic\n");
#endif
	fprintf(f, "libraries (pkg-config names): ");
	while (*p) {
		size_t n = strcspn(p, " ");

		if (n) {
			print_pkg(f, p, n, first);
			first = false;
		}
		p += n + strspn(p + n, " ");
	}
	fputc('\n', f);
#ifdef RT_STATIC
	fprintf(f, "built from Debian source packages: %s\n", RT_STATIC_SOURCES);
	if (strstr(RT_PKG_VERSIONS, "ncursesw="))
		fprintf(f, "terminals built in (no terminfo needed): %s\n", RT_STATIC_FALLBACKS);
#endif
}
