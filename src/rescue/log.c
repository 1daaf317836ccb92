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

#define LOG_ROOT     "/var/log/rescuetui.log"
#define LOG_NAME     "rescuetui.log"
#define PWBUF_LEN    4096
#define LOG_HASH_LEN 16
#define LOG_LINE_MAX 16384
#define OK_TAIL      " result=\"ok\""

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

/* " KEY=VALUE": the value a JSON string (exact bytes, reversibly escaped, one line
 * whatever the name holds), or null. */
static void put_field(FILE *f, const char *key, const char *s, size_t len)
{
	fprintf(f, " %s=", key);
	if (s)
		esc_json(f, s, len);
	else
		fputs("null", f);
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
	/* Names may hold newlines or escapes: JSON-escaped, each action stays one line
	 * and the exact bytes can be read back. */
	/* The fixed fields first, free text after: a name can never fake them. */
	fputs(when, f);
	put_field(f, "method", l->method, l->method ? strlen(l->method) : 0);
	put_field(f, "source", l->id, l->id ? strlen(l->id) : 0);
	fprintf(f, " verified=%s size=%llu hash=", l->verified ? "yes" : "no",
	        (unsigned long long)l->src_size);
	if (l->src_hash)
		for (int i = 0; i < LOG_HASH_LEN; i++)
			fprintf(f, "%02x", l->src_hash[i]);
	else
		fputc('-', f);
	put_field(f, "path", l->path, l->path_len);
	put_field(f, "target", l->target, l->target ? strlen(l->target) : 0);
	fprintf(f, " bytes=%llu", (unsigned long long)l->bytes);
	put_field(f, "result", l->result, l->result ? strlen(l->result) : 0);
	fputc('\n', f);
	if (fclose(f) != 0)
		r = -EIO;
	return r;
}

/* Parse the fixed head of one log line; 1 when it is a verified, successful rescue
 * of ID. */
static int parse_rescue(const char *line, const char *id, struct rlog_rescue *out)
{
	char src[128], ver[8], hash[2 * LOG_HASH_LEN + 2], method[32];
	unsigned long long size;
	struct tm tm = {0};
	int used = 0;
	size_t n;

	if (!strptime(line, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return 0;
	/* method and source are JSON strings of words and digits: no quote inside */
	if (sscanf(line, "%*s method=\"%31[^\"]\" source=\"%127[^\"]\" verified=%7s size=%llu hash=%33s %n",
	           method, src, ver, &size, hash, &used) != 5 ||
	    !used)
		return 0;
	if (strcmp(src, id) != 0 || strcmp(ver, "yes") != 0 || strcmp(method, "reclaim") == 0)
		return 0;
	/* the result is the last field, and escaped names hold no newline */
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		n--;
	if (n < strlen(OK_TAIL) || strncmp(line + n - strlen(OK_TAIL), OK_TAIL, strlen(OK_TAIL)))
		return 0;
	out->src_size = size;
	out->has_hash = strlen(hash) == 2 * LOG_HASH_LEN;
	for (int i = 0; out->has_hash && i < LOG_HASH_LEN; i++) {
		unsigned v;
		if (sscanf(hash + 2 * i, "%2x", &v) != 1)
			out->has_hash = false;
		out->src_hash[i] = (unsigned char)v;
	}
	out->when = (long long)timegm(&tm);
	return 1;
}

int rlog_find_rescue(const char *path, const char *id, struct rlog_rescue *out)
{
	char def[PATH_MAX], *line = NULL;
	size_t cap = 0;
	int found = 0, r, fd;
	FILE *f;

	if (!path) {
		if ((r = rlog_default_path(def, sizeof(def))) < 0)
			return r;
		path = def;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!(f = fdopen(fd, "r"))) {
		r = -errno;
		close(fd);
		return r;
	}
	while (getline(&line, &cap, f) > 0) {
		struct rlog_rescue one;
		if (strlen(line) < LOG_LINE_MAX && parse_rescue(line, id, &one) == 1) {
			*out = one;
			found = 1;
		}
	}
	free(line);
	fclose(f);
	return found;
}
