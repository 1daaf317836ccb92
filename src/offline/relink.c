/* relink: link an orphan inode back on an unmounted ext fs. See relink.h. */
#include "offline/relink.h"
#include "offline/off_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOST_FOUND "lost+found"

/* Take INO (whose next pointer is NEXT) off the s_last_orphan chain. The walk is
 * bounded by the inode count, so a looping chain ends. Returns 1 when it was on it. */
static int unchain(struct off_fs *f, uint32_t ino, uint32_t next)
{
	struct ext2_super_block *s = f->fs->super;
	struct ext2_inode_large in;
	uint32_t cur = s->s_last_orphan;

	if (cur == ino) {
		s->s_last_orphan = next;
		ext2fs_mark_super_dirty(f->fs);
		return 1;
	}
	for (uint32_t steps = 0; cur && steps < s->s_inodes_count; steps++) {
		if (off_read_inode(f, cur, &in) < 0)
			return 0;
		if (in.i_dtime == ino) {
			in.i_dtime = next;
			if (ext2fs_write_inode_full(f->fs, cur, (struct ext2_inode *)&in,
			                            sizeof(in)))
				return -EIO;
			return 1;
		}
		cur = in.i_dtime;
	}
	return 0;
}

/* Does any slot of the orphan file block in BUF still name an inode? */
static bool block_used(ext2_filsys fs, const char *buf)
{
	const uint32_t *slot = (const uint32_t *)buf;

	for (int i = 0; i < ext2fs_inodes_per_orphan_block(fs); i++)
		if (slot[i])
			return true;
	return false;
}

/* Clear INO's slot in the orphan file. *LEFT: whether other orphans remain in it.
 * Returns 1 when it was there, 0 when not, or a negative errno. */
static int unslot(struct off_fs *f, uint32_t ino, bool *left)
{
	uint32_t ofile = f->fs->super->s_orphan_file_inum;
	struct off_run *v;
	size_t n;
	char why[OFF_WHY_LEN], *buf = malloc(f->fs->blocksize);
	int found = 0;

	*left = false;
	if (!buf || off_runs(f, ofile, &v, &n, why) < 0) {
		free(buf);
		return buf ? -EUCLEAN : -ENOMEM;
	}
	for (size_t i = 0; i < n && found >= 0; i++) {
		for (uint32_t b = 0; b < v[i].len && found >= 0; b++) {
			uint64_t blk = v[i].pblk + b;
			uint32_t *slot = (uint32_t *)buf;
			if (v[i].uninit || io_channel_read_blk64(f->fs->io, blk, 1, buf)) {
				continue;
			}
			for (int k = 0; k < ext2fs_inodes_per_orphan_block(f->fs); k++) {
				if (ext2fs_le32_to_cpu(slot[k]) != ino)
					continue;
				slot[k] = 0;
				found = 1;
				if (ext2fs_orphan_file_block_csum_set(f->fs, ofile, blk, buf) ||
				    io_channel_write_blk64(f->fs->io, blk, 1, buf))
					found = -EIO;
			}
			if (block_used(f->fs, buf))
				*left = true;
		}
	}
	free(v);
	free(buf);
	return found;
}

/* NAME cut at its last slash, leading slashes dropped: the directory PARENT (from
 * the root, "" for the root itself) and the file name BASE. "." and ".." are refused
 * anywhere: ext2fs_namei would follow them, and the path reported and logged would
 * not be the one linked. */
static int split(const char *name, char *parent, size_t plen, char *base, size_t blen, char *why)
{
	const char *slash, *p;

	while (*name == '/')
		name++;
	if (!*name)
		return off_fail(why, 0, -EINVAL, "the name is empty: give one from the root");
	slash = strrchr(name, '/');
	if (strlen(slash ? slash + 1 : name) >= blen || strlen(name) >= plen)
		return off_fail(why, 0, -ENAMETOOLONG,
		                "the name is too long (a file name has at most %d bytes)",
		                EXT2_NAME_LEN);
	snprintf(base, blen, "%s", slash ? slash + 1 : name);
	snprintf(parent, plen, "%.*s", slash ? (int)(slash - name) : 0, name);
	if (!base[0])
		return off_fail(why, 0, -EINVAL, "the name ends with /: add the file's own name");
	for (p = name; *p;) {
		size_t n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return off_fail(
			    why, 0, -EINVAL,
			    "the name has a . or .. in it: give its directories from the root");
		p += n + (p[n] == '/');
	}
	return 0;
}

/* The directory PARENT (from the root; "" is the root) as *DIR. */
static int find_dir(ext2_filsys fs, const char *parent, ext2_ino_t *dir, char *why)
{
	errcode_t e;

	*dir = EXT2_ROOT_INO;
	if (!parent[0])
		return 0;
	e = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, parent, dir);
	if (e == EXT2_ET_FILE_NOT_FOUND)
		return off_fail(why, 0, -ENOENT, "there is no directory /%s", parent);
	if (e)
		return off_fail(why, e, -ENOENT, "cannot find the directory /%s", parent);
	if (ext2fs_check_directory(fs, *dir))
		return off_fail(why, 0, -ENOTDIR, "/%s is not a directory", parent);
	return 0;
}

/* /lost+found as *DIR; made when MAKE and missing, else *DIR is 0 (off_relink will
 * make it: nothing can be in it yet). */
static int lost_found(ext2_filsys fs, bool make, ext2_ino_t *dir, char *why)
{
	errcode_t e = ext2fs_lookup(fs, EXT2_ROOT_INO, LOST_FOUND, strlen(LOST_FOUND), NULL, dir);

	if (e == EXT2_ET_FILE_NOT_FOUND && !make) {
		*dir = 0;
		return 0;
	}
	if (e == EXT2_ET_FILE_NOT_FOUND) {
		e = ext2fs_mkdir(fs, EXT2_ROOT_INO, 0, LOST_FOUND);
		if (!e)
			e = ext2fs_lookup(fs, EXT2_ROOT_INO, LOST_FOUND, strlen(LOST_FOUND), NULL,
			                  dir);
	}
	if (e)
		return off_fail(why, e, -EIO, "cannot find or make /%s", LOST_FOUND);
	if (ext2fs_check_directory(fs, *dir))
		return off_fail(why, 0, -ENOTDIR, "/%s is not a directory", LOST_FOUND);
	return 0;
}

/* Where NAME goes (NULL: lost+found/rescued-INO): its directory *DIR and its name
 * BASE there, which must be free. MAKE: make a missing lost+found (off_relink); else
 * nothing is written and *DIR may be 0 (lost+found to be made). */
static int resolve(struct off_fs *f, uint32_t ino, const char *name, bool make, ext2_ino_t *dir,
                   char *base, size_t blen, char *why)
{
	char parent[4096];
	ext2_ino_t found;
	errcode_t e;
	int err;

	if (name) {
		err = split(name, parent, sizeof(parent), base, blen, why);
		if (!err)
			err = find_dir(f->fs, parent, dir, why);
	} else {
		snprintf(parent, sizeof(parent), "%s", LOST_FOUND);
		snprintf(base, blen, "rescued-%" PRIu32, ino);
		err = lost_found(f->fs, make, dir, why);
	}
	if (err || !*dir)
		return err;
	e = ext2fs_lookup(f->fs, *dir, base, (int)strlen(base), NULL, &found);
	if (e == 0)
		return off_fail(why, 0, -EEXIST,
		                "/%s%s%s exists already: a relink never replaces a name", parent,
		                parent[0] ? "/" : "", base);
	if (e != EXT2_ET_FILE_NOT_FOUND)
		return off_fail(why, e, -EIO, "cannot read the directory /%s", parent);
	return 0;
}

void off_relink_default_name(uint32_t ino, char *buf, size_t len)
{
	snprintf(buf, len, "%s/rescued-%" PRIu32, LOST_FOUND, ino);
}

int off_relink_check(struct off_fs *f, uint32_t ino, const char *name, char why[OFF_WHY_LEN])
{
	char base[EXT2_NAME_LEN + 1];
	ext2_ino_t dir;

	why[0] = 0;
	return resolve(f, ino, name, false, &dir, base, sizeof(base), why);
}

/* Is INO an orphan regular file whose data can be kept? */
static int check_inode(struct off_fs *f, uint32_t ino, struct ext2_inode_large *in,
                       struct off_relink_result *res)
{
	struct off_entry e;
	int err = off_read_inode(f, ino, in);

	if (err < 0)
		return off_fail(res->message, 0, err, "inode %u cannot be read", ino);
	if (!LINUX_S_ISREG(in->i_mode) || in->i_links_count != 0 ||
	    !ext2fs_test_inode_bitmap2(f->fs->inode_map, ino))
		return off_fail(res->message, 0, -EINVAL,
		                "inode %u is no orphan regular file (mode %06o, %u links%s)", ino,
		                in->i_mode, in->i_links_count,
		                ext2fs_test_inode_bitmap2(f->fs->inode_map, ino) ? "" : ", free");
	err = off_describe(f, ino, OFF_SRC_LIST, &e);
	if (err == 0 && e.blocks != OFF_BLOCKS_INTACT)
		return off_fail(res->message, 0, -EUCLEAN,
		                "inode %u's data is %s (%s): copy it out with --recover instead",
		                ino, off_blocks_name(e.blocks), e.note);
	return err;
}

/* The other orphans: e2fsck -n cannot release them, so it reports each. */
static void count_remaining(struct off_fs *f, struct off_relink_result *res)
{
	struct off_scan s;

	if (off_scan(f, false, &s) == 0) {
		res->remaining = s.n;
		off_scan_free(&s);
	}
}

int off_relink(struct off_fs *f, uint32_t ino, const char *name, struct off_relink_result *res)
{
	struct ext2_inode_large in;
	ext2_ino_t dir;
	char base[EXT2_NAME_LEN + 1];
	bool left = false;
	errcode_t e;
	int err;

	memset(res, 0, sizeof(*res));
	if (!f->rw)
		return off_fail(res->message, 0, -EROFS, "the filesystem was opened read-only");
	if (ext2fs_has_feature_journal_needs_recovery(f->fs->super))
		return off_fail(res->message, 0, -EAGAIN,
		                "the journal needs recovery: its replay would undo the relink");
	if (!off_ino_ok(f, ino))
		return off_fail(res->message, 0, -EINVAL, "inode %u is outside the inode table",
		                ino);
	e = ext2fs_read_bitmaps(f->fs);
	if (e)
		return off_fail(res->message, e, -EIO, "cannot read the bitmaps");
	err = check_inode(f, ino, &in, res);
	if (!err)
		err = resolve(f, ino, name, true, &dir, base, sizeof(base), res->message);
	if (err)
		return err;
	e = ext2fs_link(f->fs, dir, base, ino, EXT2_FT_REG_FILE);
	if (e == EXT2_ET_DIR_NO_SPACE) {
		e = ext2fs_expand_dir(f->fs, dir);
		if (!e)
			e = ext2fs_link(f->fs, dir, base, ino, EXT2_FT_REG_FILE);
	}
	if (e)
		return off_fail(res->message, e, -EIO, "cannot link inode %u", ino);
	err = unchain(f, ino, in.i_dtime);
	if (err < 0)
		return off_fail(res->message, 0, err, "cannot update the orphan list");
	res->from_list = err == 1;
	if (ext2fs_has_feature_orphan_file(f->fs->super)) {
		err = unslot(f, ino, &left);
		if (err < 0)
			return off_fail(res->message, 0, err, "cannot update the orphan file");
		res->from_orphan_file = err == 1;
		/* The kernel sets orphan_present while the file holds orphans; e2fsck
		 * then processes them. None left: clear it like a clean unmount does. */
		if (!left && ext2fs_has_feature_orphan_present(f->fs->super)) {
			ext2fs_clear_feature_orphan_present(f->fs->super);
			ext2fs_mark_super_dirty(f->fs);
		}
	}
	/* It is a file with a name now: no deletion time, one link. */
	in.i_dtime = 0;
	in.i_links_count = 1;
	e = ext2fs_write_inode_full(f->fs, ino, (struct ext2_inode *)&in, sizeof(in));
	if (e)
		return off_fail(res->message, e, -EIO, "cannot write inode %u", ino);
	count_remaining(f, res);
	if (!name)
		snprintf(res->path, sizeof(res->path), "/%s/%s", LOST_FOUND, base);
	else
		snprintf(res->path, sizeof(res->path), "/%s", name + strspn(name, "/"));
	return 0;
}

/* Read the child's output into OUT (cut at LEN-1 bytes, the rest drained). */
static void slurp(int fd, char *out, size_t len)
{
	size_t used = 0;
	char sink[4096];

	for (;;) {
		char *p = used + 1 < len ? out + used : sink;
		size_t room = used + 1 < len ? len - 1 - used : sizeof(sink);
		ssize_t r = read(fd, p, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (p != sink)
			used += (size_t)r;
	}
	if (len)
		out[used] = '\0';
}

int off_fsck(const char *dev, char *out, size_t len)
{
	int pfd[2], status;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		execlp("e2fsck", "e2fsck", "-fn", dev, (char *)NULL);
		execl("/sbin/e2fsck", "e2fsck", "-fn", dev, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	slurp(pfd[0], out, len);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
