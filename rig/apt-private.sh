# apt-private.sh: sourced by rig/fetch-source.sh and rig/fetch-qemu.sh.
# apt_private DIR: private apt state in DIR (sources list DIR/sources.list, lists, cache;
# the machine's apt configuration is left alone). Sets the array apt_opts for apt-get and
# apt-cache, mirror (the Debian mirror of the machine's own sources, deb.debian.org
# today; empty if none) and signed (the "[signed-by=...] " of a sources line, or empty).
apt_private() {
	mkdir -p "$1/lists/partial" "$1/cache/archives/partial"
	apt_opts=(-o Dir::Etc::sourcelist="$1/sources.list" -o Dir::Etc::sourceparts=-
		  -o Dir::State::Lists="$1/lists" -o Dir::Cache="$1/cache"
		  -o APT::Sandbox::User="$(id -un)" -o Acquire::Languages=none)
	mirror=$(apt-get indextargets --format '$(LABEL) $(RELEASE) $(SITE)' 'Target-Of: deb' 2>/dev/null |
		awk '$1 == "Debian" { print $3; exit }')
	[ -n "$mirror" ] || mirror=$(apt-get indextargets --format '$(RELEASE) $(SITE)' 'Target-Of: deb' 2>/dev/null |
		awk '$1 !~ /-/ && $2 !~ /security/ { print $2; exit }')
	signed=
	[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] &&
		signed="[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
	return 0
}
