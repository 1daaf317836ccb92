/* help: keys and methods. See help.h. */
#include "console/help.h"

#include "console/keys.h"
#include "console/page.h"

#include <curses.h>

static const char *const intro[] = {
    "rescuetui lists deleted files that processes, memory mappings or loop devices still",
    "hold. While it runs it pins each one (holds its own read-only reference), so the data",
    "outlives its holders: stop the service cleanly, then rescue the file. A pin keeps the",
    "filesystem busy: u or U lets go so that it can be unmounted.",
    "",
};

static const char *const methods[] = {
    "Methods (the recommendation is the first feasible one; the detail ranks them all)",
    "  relink   give the very inode a name again: instant, live (O_TMPFILE files only)",
    "  reflink  clone into a new file on the same filesystem: instant, no extra space",
    "  follow   copy, then keep appending as it grows: logs, downloads, captures",
    "  sync     copy, then re-copy changed blocks until a pass changes little: VM images,",
    "           databases; the last pass can freeze the writers for a consistent copy",
    "           (z on the confirmation, or z in the progress view while it runs)",
    "  copy     one sparse-aware pass: files nothing writes, or quiet ones",
    "  debugfs  never offered online: it corrupts a mounted ext4",
    "",
    "The source is only ever read, through the pin. Never detach a loop device that holds",
    "a deleted image, nor unmount an autoclear loop mount: the image is then lost.",
    "Rescue: R (or c, f, l; s in the detail) picks the method and the target, then asks;",
    "the job runs in the background of the console (p shows it). Or rescuetui --recover.",
    "",
    "Marks in the list: [kept by pin] no holder is left and only this console keeps the",
    "data; [not pinned] the data lives only as long as its holders; [gone] it went away",
    "(shown until the next key). Rates: random = rewritten inside, append = growing.",
};

/* Paragraphs: the page wraps them at the screen's width. */
static const char *const off_intro[] = {
    "Offline mode: the orphan inodes of an UNMOUNTED ext2/3/4 device or image: files deleted "
    "while still open when the machine stopped. They stay on the orphan list until the next "
    "mount or fsck frees them: save them first.",
    "c copies one out to another filesystem; the device is only read. l relinks it: it gets a "
    "name on the device, typed relative to the device's root (lost+found/rescued-INO unless "
    "changed; its directory must exist, the name must be new, no . or ..), then the "
    "confirmation: that WRITES to the device and asks for y, then !; run e2fsck -f on the "
    "device before mounting it.",
    "A journal that needs recovery may hold a newer orphan list: copy out, do not relink (the "
    "detail says more).",
    "",
};

void help_draw(struct ui *u)
{
	struct page p = {.width = (size_t)COLS};
	int rows = LINES - 3;

	term_cell(&u->term, 0, 0, COLS, " rescuetui | help", false, ROLE_TITLE);
	for (size_t i = 0; u->off && i < sizeof(off_intro) / sizeof(off_intro[0]); i++)
		page_add(&p, ROLE_NORMAL, "%s", off_intro[i]);
	for (size_t i = 0; !u->off && i < sizeof(intro) / sizeof(intro[0]); i++)
		page_add(&p, ROLE_NORMAL, "%s", intro[i]);
	page_add(&p, ROLE_HEAD, "Keys");
	keys_help(u, &p);
	for (size_t i = 0; !u->off && i < sizeof(methods) / sizeof(methods[0]); i++)
		page_add(&p, i == 0 ? ROLE_HEAD : ROLE_NORMAL, "%s", methods[i]);
	if (u->o->readonly)
		page_add(&p, ROLE_WARN, "Read-only console (--readonly): it looks, it never acts.");
	u->page_rows = rows > 0 ? (size_t)rows : 0;
	page_draw(&u->term, &p, 1, rows, &u->scroll);
	page_free(&p);
	keys_draw_bottom(u);
}
