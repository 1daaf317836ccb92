/* log: appending one line per action to the action log; see rescue/log.h. */
#include "rescue/log.h"

#include "text/esc.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_ROOT  "/var/log/rescuetui.log"
#define LOG_NAME  "rescuetui.log"
#define PWBUF_LEN 4096

/* The user's home: HOME, else the password database. */
static int home_dir(char *buf, size_t len)
{
	const char *home = getenv("HOME");
	struct passwd pw, *hit = NULL;
	char pwbuf[PWBUF_LEN];

	if (!home || !*home) {
		if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &hit) != 0 || !hit ||
		    !hit->pw_dir || !*hit->pw_dir)
			return -ENOENT;
		home = hit->pw_dir;
	}
	if (snprintf(buf, len, "%s", home) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int rlog_default_path(char *buf, size_t len)
{
	const char *state = getenv("XDG_STATE_HOME");
	char home[PATH_MAX], dir[PATH_MAX + 16];
	int r;

	if (geteuid() == 0)
		return snprintf(buf, len, LOG_ROOT) >= (int)len ? -ENAMETOOLONG : 0;
	if (state && *state)
		return snprintf(buf, len, "%s/" LOG_NAME, state) >= (int)len ? -ENAMETOOLONG : 0;
	if ((r = home_dir(home, sizeof(home))) < 0)
		return r;
	snprintf(dir, sizeof(dir), "%s/.local", home);
	(void)mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/.local/state", home);
	(void)mkdir(dir, 0700);
	return snprintf(buf, len, "%s/" LOG_NAME, dir) >= (int)len ? -ENAMETOOLONG : 0;
}

static void put_field(FILE *f, const char *key, const char *s, size_t len)
{
	char *e = s ? esc_display(s, len) : NULL;

	fprintf(f, " %s=%s", key, e ? e : "-");
	free(e);
}

int rlog_append(const char *path, const struct rlog_line *l)
{
	char def[PATH_MAX], when[32];
	time_t now = time(NULL);
	struct stat st;
	struct tm tm;
	FILE *f;
	int fd, r = 0;

	if (!path) {
		if ((r = rlog_default_path(def, sizeof(def))) < 0)
			return r;
		path = def;
	}
	fd = open(path,
	          O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
	          0600);
	if (fd < 0)
		return errno == ELOOP ? -ELOOP : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	f = fdopen(fd, "a");
	if (!f) {
		r = -errno;
		close(fd);
		return r;
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* Names may hold newlines or escapes: escaped, each action stays one line. */
	fputs(when, f);
	put_field(f, "method", l->method, l->method ? strlen(l->method) : 0);
	put_field(f, "source", l->id, l->id ? strlen(l->id) : 0);
	put_field(f, "path", l->path, l->path_len);
	put_field(f, "target", l->target, l->target ? strlen(l->target) : 0);
	fprintf(f, " bytes=%llu", (unsigned long long)l->bytes);
	put_field(f, "result", l->result, l->result ? strlen(l->result) : 0);
	fputc('\n', f);
	if (fclose(f) != 0)
		r = -EIO;
	return r;
}
