#!/bin/bash
# copy_checkout.sh: sourced by chroot.sh and deb.sh.
#   copy_checkout SRCDIR DEST   copies the checkout's files to DEST: in a git
#                               checkout the tracked and untracked-but-not-
#                               ignored files (no build products, no .git),
#                               else the tree without .git and build products.
copy_checkout() {
	local src=$1 dest=$2
	mkdir -p "$dest"
	if command -v git >/dev/null 2>&1 &&
		git -C "$src" -c safe.directory="$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(
			cd "$src"
			git -c safe.directory="$src" ls-files -z --cached --others --exclude-standard |
				while IFS= read -r -d '' f; do
					if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
				done |
				tar --null --no-recursion -T - -cf -
		) | tar -xf - -C "$dest"
	else
		tar -C "$src" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
			--exclude=./results --exclude=./log --exclude='./regression.*' \
			--exclude=./harness/pg_tls_probe -cf - . | tar -xf - -C "$dest"
	fi
}
