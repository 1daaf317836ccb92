#!/usr/bin/env bash
# Build the libraries rescuetui links, statically and against musl, into a private
# prefix, from Debian's own source packages (Debian 12). Nothing is installed outside
# DIR except, when run as root, the Debian packages the build needs (apt-get install).
#
# Usage: static/build-deps.sh [DIR]        (default: static/deps beside this script)
#   DIR/prefix        headers, static libraries, pkg-config files
#   DIR/prefix/static.mk   what the Makefile's static build reads: compiler flags with
#                     the versions of musl and of every library linked in
#   DIR/src, DIR/build, DIR/apt   sources, build trees, apt's private lists
# Each library is built once (a stamp in DIR/stamps), again only when how it is
# configured here changes (the ncurses fallbacks); delete DIR to start over.
# Set JOBS to change the build's parallelism (default: the number of cores).
set -Eeuo pipefail

here=$(cd "$(dirname "$0")" && pwd)
DIR=${1:-$here/deps}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
PREFIX=$DIR/prefix
JOBS=${JOBS:-$(nproc)}
LIBS_WANTED="xxhash ncurses util-linux procps e2fsprogs"
say() { printf 'build-deps: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# --- what the build needs from the host -------------------------------------------
# command:Debian package. tic and infocmp turn the host's terminfo entries into
# ncurses' built-in fallbacks.
NEEDED="musl-gcc:musl-tools dpkg-source:dpkg-dev make:make gcc:gcc tic:ncurses-bin
infocmp:ncurses-bin pkg-config:pkg-config apt-get:apt xz:xz-utils gzip:gzip"
check_host() {
	local missing=() pair cmd pkg
	for pair in $NEEDED; do
		cmd=${pair%%:*} pkg=${pair#*:}
		command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
	done
	# The kernel's headers, which musl-gcc is shown through links (setup_cc).
	[ -d /usr/include/linux ] && [ -d /usr/include/asm-generic ] || missing+=(linux-libc-dev)
	# The terminals built into ncurses must exist in the host's terminfo.
	local t
	for t in $FALLBACKS_LIST; do
		infocmp "$t" >/dev/null 2>&1 || missing+=(ncurses-base)
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	if [ "$(id -u)" = 0 ]; then
		say "installing the Debian packages the build needs: ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2 ||
			{ apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2; }
	else
		die "missing Debian packages: ${missing[*]}
build-deps: install them as root:  apt-get install -y ${missing[*]}"
	fi
}

# Terminals the console must work on where no terminfo database is installed.
FALLBACKS_LIST="linux vt100 vt220 xterm xterm-256color screen screen-256color tmux
tmux-256color ansi dumb"
FALLBACKS=$(echo $FALLBACKS_LIST | tr ' ' ,)
# What else, beside the source package, a library's build depends on here.
config_of() { case $1 in ncurses) echo "fallbacks=$FALLBACKS" ;; *) echo - ;; esac; }

# --- sources: Debian source packages through apt, with private lists --------------
# The host's apt configuration is not changed: a sources list with the same mirror as
# the host's, lists and cache kept in DIR/apt.
mirror_uri() {
	local uri
	uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '{print $2}' | grep -v security | grep -m1 -i debian || true)
	if [ -z "$uri" ]; then
		uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' |
			grep -m1 -i debian || true)
	fi
	echo "${uri:-http://deb.debian.org/debian}"
}
APT_OPTS=()
setup_apt() {
	local suite keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	mkdir -p "$DIR/apt/lists/partial" "$DIR/apt/cache/archives/partial" "$DIR/src"
	if [ -r "$keyring" ]; then
		echo "deb-src [signed-by=$keyring] $(mirror_uri) $suite main" >"$DIR/apt/sources.list"
	else
		echo "deb-src $(mirror_uri) $suite main" >"$DIR/apt/sources.list"
	fi
	APT_OPTS=(-o "Dir::Etc::SourceList=$DIR/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$DIR/apt/lists" -o "Dir::Cache=$DIR/apt/cache"
		-o Debug::NoLocking=1)
	# apt drops to the _apt user for downloads unless it may write where they go.
	[ "$(id -u)" = 0 ] && APT_OPTS+=(-o APT::Sandbox::User=root)
	if ! ls "$DIR"/apt/lists/*Sources* >/dev/null 2>&1; then
		say "fetching the list of Debian source packages ($(mirror_uri) $suite)"
		apt-get "${APT_OPTS[@]}" update >&2 || die "apt-get update (private lists) failed"
	fi
}

# unpack PKG: download Debian's source package once and unpack it with Debian's
# patches applied; prints the unpacked directory.
unpack() {
	local pkg=$1 dsc d
	dsc=$(ls "$DIR/src/${pkg}"_*.dsc 2>/dev/null | head -n 1 || true)
	if [ -z "$dsc" ]; then
		[ ${#APT_OPTS[@]} -gt 0 ] || setup_apt
		say "downloading the Debian source package $pkg"
		(cd "$DIR/src" && apt-get "${APT_OPTS[@]}" source --download-only "$pkg" >&2) ||
			die "apt-get source $pkg failed"
		dsc=$(ls "$DIR/src/${pkg}"_*.dsc | head -n 1)
	fi
	d=$DIR/build/$(basename "$dsc" .dsc)
	if [ ! -d "$d" ]; then
		mkdir -p "$DIR/build"
		# --no-check: apt already checked every file against the signed index; the
		# .dsc's own signature would need the debian-keyring package.
		dpkg-source --no-check -x "$dsc" "$d.tmp" >&2 || die "dpkg-source -x $dsc failed"
		mv "$d.tmp" "$d"
	fi
	echo "$d"
}
# upstream_version DIR: 6.4 from .../ncurses_6.4-4
upstream_version() { local v=${1##*_}; echo "${v%-*}"; }

# --- the compiler -----------------------------------------------------------------
# musl-gcc hides /usr/include, and with it the kernel's headers, which the libraries
# and rescuetui need: a private folder with links to just those.
setup_cc() {
	local k=$PREFIX/kernel-include arch
	arch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
	mkdir -p "$k" "$PREFIX/lib/pkgconfig" "$PREFIX/include"
	ln -sfn /usr/include/linux "$k/linux"
	ln -sfn /usr/include/asm-generic "$k/asm-generic"
	ln -sfn "/usr/include/$arch/asm" "$k/asm"
	ln -sfn /usr/include/mtd "$k/mtd"
	export CC=musl-gcc
	export CFLAGS="-Os -ffunction-sections -fdata-sections -isystem $k -I$PREFIX/include"
	export CPPFLAGS="-isystem $k -I$PREFIX/include"
	export LDFLAGS="-static -L$PREFIX/lib"
	export PKG_CONFIG_LIBDIR=$PREFIX/lib/pkgconfig PKG_CONFIG_PATH=
	CONFIG_SITE=/dev/null
	export CONFIG_SITE
}

# A stamp holds the source package's name_version, then the configuration.
stamp() { [ "$(sed -n 2p "$DIR/stamps/$1" 2>/dev/null)" = "$(config_of "$1")" ]; }
done_with() { mkdir -p "$DIR/stamps"; printf '%s\n%s\n' "$2" "$(config_of "$1")" >"$DIR/stamps/$1"; }

# --- the libraries ----------------------------------------------------------------
build_xxhash() {
	local s v
	s=$(unpack xxhash)
	v=$(upstream_version "$s")
	(cd "$s" && $CC $CFLAGS -c -o xxhash.o xxhash.c && rm -f libxxhash.a && ar rcs libxxhash.a xxhash.o)
	install -m 0644 "$s/libxxhash.a" "$PREFIX/lib/"
	install -m 0644 "$s/xxhash.h" "$s/xxh3.h" "$PREFIX/include/"
	cat >"$PREFIX/lib/pkgconfig/libxxhash.pc" <<-EOF
		prefix=$PREFIX
		Name: xxhash
		Description: extremely fast hash algorithm (static, musl)
		Version: $v
		Cflags: -I\${prefix}/include
		Libs: -L\${prefix}/lib -lxxhash
	EOF
	done_with xxhash "$(basename "$s")"
}

build_ncurses() {
	local s v b
	s=$(unpack ncurses)
	v=$(upstream_version "$s")
	b=$s/build-musl
	rm -rf "$b" # a new list of fallbacks: start from a clean build tree
	mkdir -p "$b"
	# Wide characters; no shared libraries, C++, Ada, programs or tests; the terminal
	# database is still read where one exists (same places as Debian's), and the
	# common terminals are compiled in for systems that have none.
	(cd "$b" && ../configure --prefix="$PREFIX" --enable-widec --without-shared \
		--with-normal --without-debug --without-profile --without-cxx --without-cxx-binding \
		--without-ada --without-progs --without-tests --without-manpages --without-gpm \
		--disable-db-install --enable-pc-files --with-pkg-config-libdir="$PREFIX/lib/pkgconfig" \
		--with-terminfo-dirs=/etc/terminfo:/lib/terminfo:/usr/share/terminfo \
		--with-default-terminfo-dir=/usr/share/terminfo \
		--with-fallbacks="$FALLBACKS" --with-tic-path="$(command -v tic)" \
		--with-infocmp-path="$(command -v infocmp)" \
		--disable-termcap --enable-overwrite --disable-stripping \
		--without-dlsym >&2 && make -j"$JOBS" libs >&2 && make install.libs >&2)
	# <ncursesw/curses.h> as well as <curses.h>, as on Debian.
	ln -sfn . "$PREFIX/include/ncursesw"
	done_with ncurses "$(basename "$s")"
}

build_util_linux() {
	local s v
	s=$(unpack util-linux)
	v=$(upstream_version "$s")
	# Debian's patches change configure.ac only for an install option of a program
	# (tty setgid), nothing the libraries use: keep the shipped configure and
	# Makefile.in rather than regenerate them (that would need autotools).
	if [ ! -e "$s/.rt-autotools-kept" ]; then
		touch -d '@1000000000' "$s/configure.ac" "$s/Makefile.am" "$s/aclocal.m4"
		find "$s" \( -name '*.am' -o -name '*.m4' \) -print0 | xargs -0 touch -d '@1000000000'
		touch "$s/.rt-autotools-kept"
	fi
	# Only libblkid and libmount, without the optional libraries a static binary would
	# drag in (selinux, systemd, udev, cryptsetup).
	(cd "$s" && ./configure --prefix="$PREFIX" --disable-all-programs --enable-libblkid \
		--enable-libmount --disable-libuuid --disable-shared --enable-static --disable-nls \
		--without-selinux --without-systemd --without-udev --without-python \
		--without-readline --without-ncursesw --without-ncurses --without-cap-ng \
		--without-libz --without-btrfs --without-cryptsetup --without-audit \
		--without-utempter --without-libmagic --without-econf --disable-libmount-mountfd-support \
		--disable-asciidoc --disable-poman >&2 &&
		make -j"$JOBS" libblkid.la libmount.la >&2 &&
		make install-usrlib_execLTLIBRARIES install-nodist_blkidincHEADERS \
			install-nodist_mountincHEADERS install-pkgconfigDATA >&2)
	done_with util-linux "$(basename "$s")"
}

build_procps() {
	local s v
	s=$(unpack procps)
	v=$(upstream_version "$s")
	# --disable-numa: otherwise libproc2 dlopens the host's libnuma, which a static
	# binary must never do.
	(cd "$s" && ./configure --prefix="$PREFIX" --disable-shared --enable-static \
		--disable-numa --without-systemd --without-elogind --without-ncurses --disable-nls \
		--disable-pidwait --disable-kill --disable-w --disable-modern-top >&2 &&
		make -j"$JOBS" library/libproc2.la >&2 &&
		make install-libLTLIBRARIES install-pkgconfigDATA install-library_libproc2_la_includeHEADERS >&2)
	done_with procps "$(basename "$s")"
}

build_e2fsprogs() {
	local s v b
	s=$(unpack e2fsprogs)
	v=$(upstream_version "$s")
	b=$s/build-musl
	mkdir -p "$b"
	# Only the libraries (libext2fs, libcom_err and the uuid it uses), no programs.
	(cd "$b" && ../configure --prefix="$PREFIX" --disable-nls --disable-elf-shlibs \
		--disable-bsd-shlibs --disable-profile --disable-debugfs --disable-imager \
		--disable-resizer --disable-defrag --disable-fsck --disable-e2initrd-helper \
		--disable-uuidd --disable-fuse2fs --disable-tdb --disable-backtrace \
		--without-libarchive --enable-libuuid --enable-libblkid >&2 &&
		make -j"$JOBS" libs >&2 &&
		make -C lib/et install >&2 && make -C lib/ext2fs install >&2 &&
		make -C lib/uuid install >&2)
	done_with e2fsprogs "$(basename "$s")"
}

# static.mk: what the Makefile's static build reads. STATIC_CFLAGS for every file,
# STATIC_VERSION_CFLAGS for the one that prints --version.
write_static_mk() {
	local musl lib sources=
	musl=$(dpkg-query -W -f='${Version}' musl-dev 2>/dev/null || echo unknown)
	for lib in $LIBS_WANTED; do
		sources="${sources:+$sources, }$(head -n 1 "$DIR/stamps/$lib" | tr _ ' ')"
	done
	cat >"$PREFIX/static.mk" <<-EOF
		# Written by static/build-deps.sh: what the Makefile's static build uses.
		STATIC_PREFIX := $PREFIX
		STATIC_CFLAGS := -isystem $PREFIX/kernel-include
		STATIC_VERSION_CFLAGS := -DRT_STATIC=1 -DRT_MUSL_VERSION='"${musl%%-*}"' \\
		  -DRT_STATIC_SOURCES='"$sources"' -DRT_STATIC_FALLBACKS='"$FALLBACKS"'
	EOF
}

main() {
	check_host
	setup_cc
	local lib
	for lib in $LIBS_WANTED; do
		stamp "$lib" && continue
		say "building $lib (static, musl) ..."
		SECONDS=0
		trap '[ $BASH_SUBSHELL -gt 0 ] || say "building $lib failed (see above); its tree is in $DIR/build"' ERR
		"build_${lib//-/_}"
		trap - ERR
		say "$lib done in ${SECONDS}s"
	done
	write_static_mk
	say "all libraries are in $PREFIX"
}
main
