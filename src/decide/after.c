/* after: checks to do after a rescue. See after.h. */
#include "decide/after.h"

#include "text/shq.h"

#include <blkid.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static size_t add(char lines[][AFTER_LEN], size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static size_t add(char lines[][AFTER_LEN], size_t n, const char *fmt, ...)
{
	va_list ap;

	if (n >= AFTER_MAX)
		return n;
	va_start(ap, fmt);
	vsnprintf(lines[n], AFTER_LEN, fmt, ap);
	va_end(ap);
	return n + 1;
}

/* Append "PREFIX CMD 'ARG'" with ARG quoted for a POSIX shell, so that pasting the
 * line runs exactly CMD on ARG; when the quoted name does not fit, the line says so
 * instead of carrying a cut (and so broken) command. */
static size_t add_cmd(char lines[][AFTER_LEN], size_t n, const char *prefix, const char *cmd,
                      const char *arg)
{
	char q[AFTER_LEN];

	if (shq_quote(q, sizeof(q), arg, strlen(arg)) >= sizeof(q) - strlen(prefix) - strlen(cmd) - 2)
		return add(lines, n, "%s %s (the name is too long to show as a command)", prefix,
		           cmd);
	return add(lines, n, "%s %s %s", prefix, cmd, q);
}

/* The read-only check for an image of CONTENT, or NULL. */
static const char *check_command(enum after_content c)
{
	switch (c) {
	case CONTENT_EXT:
		return "e2fsck -fn";
	case CONTENT_XFS:
		return "xfs_repair -n -f";
	case CONTENT_BTRFS:
		return "btrfs check --readonly";
	case CONTENT_QCOW2:
		return "qemu-img check";
	default:
		return NULL;
	}
}

/* readerr: a result with holes where the source could not be read. */
static size_t unread_checks(const struct after_facts *f, char lines[][AFTER_LEN])
{
	const char *res = f->result ? f->result : "the copy";
	size_t n = 0;

	n = add(
	    lines, n,
	    "%llu bytes in %u range(s) could not be read: they are holes (zeros) in %s, which is not a complete copy; the ranges are listed in %s.",
	    f->unread, f->unread_ranges, res, f->unread_map ? f->unread_map : "the summary");
	n = add(
	    lines, n,
	    "Do not stop the programs that hold the original: they keep it alive while parts are missing.");
	if (f->retry)
		n = add(
		    lines, n,
		    "When the disk may read them (it cooled down, a cable was reseated), read only those ranges again into it: %s",
		    f->retry);
	if (f->loop_mountpoint)
		n = add(
		    lines, n,
		    "Do not unmount %s: the deleted image behind %s is still the only full copy.",
		    f->loop_mountpoint, f->loop_dev);
	return n;
}

size_t after_checks(const struct after_facts *f, char lines[][AFTER_LEN])
{
	const char *cmd = check_command(f->content);
	/* A stream has no name to check: its reader has the bytes. */
	bool named = f->result && strcmp(f->result, "-") != 0;
	const char *res = named ? f->result : "the copy sent to standard output";
	size_t n = 0;

	if (f->unread)
		return unread_checks(f, lines);

	if (!f->ok) {
		if (f->source_changed)
			n = add(
			    lines, n,
			    "The file changed while it was copied: run again with --method sync (add --freeze for a consistent copy), or --method follow for a log.");
		if (f->loop_mountpoint)
			n = add(
			    lines, n,
			    "Do not unmount %s: the deleted image behind %s is still the only copy.",
			    f->loop_mountpoint, f->loop_dev);
		n = add(
		    lines, n,
		    "Do not stop the programs that hold the original until a rescue succeeded: they keep it alive.");
		if (f->result)
			n = add(
			    lines, n,
			    "The partial result and its journal are kept: run the same command again to continue.");
		return n;
	}
	if (f->method == REC_RELINK) {
		n = add(
		    lines, n,
		    "%s is the very file again (same inode); its holder keeps writing to it. Nothing else to do.",
		    res);
		return n;
	}
	if (f->source_changed)
		n = add(
		    lines, n,
		    "The file changed while it was copied: run again with --method sync (add --freeze for a consistent copy).");
	if (f->live && !f->frozen && !f->fs_frozen) {
		if (cmd && named)
			n = add_cmd(
			    lines, n,
			    "It was copied while in use, so it is crash-consistent at best: check it before use:",
			    cmd, res);
		else
			n = add(
			    lines, n,
			    "It was copied while in use, so it is crash-consistent at best: check it with its application's own tools before use.");
	} else if (cmd && named) {
		n = add_cmd(lines, n, "Check the image before you use it:", cmd, res);
	}
	if (f->frozen && f->nresumed) {
		char pids[256] = "";
		size_t used = 0;
		for (size_t i = 0; i < f->nresumed && used < sizeof(pids) - 16; i++)
			used += (size_t)snprintf(pids + used, sizeof(pids) - used, "%s%d",
			                         i ? ", " : "", (int)f->resumed[i]);
		n = add(
		    lines, n,
		    "The writers were stopped for the last pass and resumed: pid %s. Check that they run normally.",
		    pids);
	}
	if (f->fs_frozen && f->loop_mountpoint)
		n = add(
		    lines, n,
		    "%s was frozen (fsfreeze) for the last pass and thawed: check that its programs write again.",
		    f->loop_mountpoint);
	if (f->loop_mountpoint)
		n = add(
		    lines, n,
		    "%s is still mounted from the deleted image on %s: %s only after you checked the copy.",
		    f->loop_mountpoint, f->loop_dev,
		    f->loop_autoclear ? "unmounting destroys the original, so unmount"
		                      : "detach the loop device");
	else if (f->loop_dev) {
		char q[64];
		if (shq_quote(q, sizeof(q), f->loop_dev, strlen(f->loop_dev)) >= sizeof(q))
			snprintf(q, sizeof(q), "DEVICE");
		n = add(
		    lines, n,
		    "%s still holds the deleted original: detach it (losetup -d %s) only after you checked the copy.",
		    f->loop_dev, q);
	}
	if (f->unreadable > 0)
		n = add(
		    lines, n,
		    "%lld bytes at the end could not be read through the loop device: the copy is short by that much.",
		    f->unreadable);
	else if (f->unreadable < 0 && f->loop_dev)
		n = add(
		    lines, n,
		    "Only the loop device could be read: up to 511 bytes at the end of the original may be missing.");
	if (n == 0)
		n = named ? add(lines, n, "%s is complete and verified.", res)
		          : add(lines, n, "The copy sent to standard output is complete and verified.");
	return n;
}

enum after_content after_detect(const char *path)
{
	static const unsigned char qcow2[4] = {'Q', 'F', 'I', 0xfb};
	unsigned char magic[4];
	enum after_content c = CONTENT_UNKNOWN;
	blkid_probe pr;
	const char *type = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return CONTENT_UNKNOWN;
	/* qcow2 is no filesystem, so blkid does not know it; its magic is enough. */
	if (pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	    memcmp(magic, qcow2, sizeof(magic)) == 0) {
		close(fd);
		return CONTENT_QCOW2;
	}
	pr = blkid_new_probe();
	if (pr && blkid_probe_set_device(pr, fd, 0, 0) == 0) {
		blkid_probe_enable_superblocks(pr, 1);
		blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
		if (blkid_do_safeprobe(pr) == 0 &&
		    blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0 && type) {
			if (strncmp(type, "ext", 3) == 0)
				c = CONTENT_EXT;
			else if (strcmp(type, "xfs") == 0)
				c = CONTENT_XFS;
			else if (strcmp(type, "btrfs") == 0)
				c = CONTENT_BTRFS;
		}
	}
	if (pr)
		blkid_free_probe(pr);
	close(fd);
	return c;
}
