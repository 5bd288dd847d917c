/* mkcpio: writes a cpio archive in the "newc" format Linux unpacks as an
 * initramfs, without root (a device node is just a header). Used by
 * `make run` to build the busybox initrd that proves the handoff.
 *   mkcpio OUT ENTRY...
 *   ENTRY: d:NAME:MODE | f:NAME:MODE:SRCFILE | c:NAME:MODE:MAJOR:MINOR
 * MODE is octal permissions; NAME has no leading slash. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static FILE *out;
static unsigned long ino = 1, pos;

static void pad4(void)
{
	while (pos % 4) {
		fputc(0, out);
		pos++;
	}
}

static void entry(const char *name, unsigned mode, unsigned maj, unsigned min, const void *data,
		  size_t len)
{
	size_t namesize = strlen(name) + 1;

	pos += (unsigned long)fprintf(out, "070701%08lX%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
				      ino++, mode, 0u, 0u, 1u, 0u, len, 0u, 0u, maj, min, namesize, 0u);
	fwrite(name, 1, namesize, out);
	pos += namesize;
	pad4();
	if (len) {
		fwrite(data, 1, len, out);
		pos += len;
		pad4();
	}
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "mkcpio: cannot read %s: %s\n", path, strerror(errno));
		exit(1);
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "mkcpio: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: mkcpio OUT d:NAME:MODE | f:NAME:MODE:SRC | c:NAME:MODE:MAJ:MIN ...\n");
		return 2;
	}
	out = fopen(argv[1], "wb");
	if (!out) {
		fprintf(stderr, "mkcpio: cannot write %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		char *spec = strdup(argv[i]), *kind = strtok(spec, ":"), *name = strtok(NULL, ":");
		char *mode_s = strtok(NULL, ":"), *a = strtok(NULL, ":"), *b = strtok(NULL, ":");
		unsigned mode;

		if (!kind || !name || !mode_s) {
			fprintf(stderr, "mkcpio: bad entry '%s'\n", argv[i]);
			return 2;
		}
		mode = (unsigned)strtoul(mode_s, NULL, 8);
		if (strcmp(kind, "d") == 0) {
			entry(name, S_IFDIR | mode, 0, 0, NULL, 0);
		} else if (strcmp(kind, "f") == 0 && a) {
			size_t len;
			char *data = slurp(a, &len);

			entry(name, S_IFREG | mode, 0, 0, data, len);
			free(data);
		} else if (strcmp(kind, "c") == 0 && a && b) {
			entry(name, S_IFCHR | mode, (unsigned)atoi(a), (unsigned)atoi(b), NULL, 0);
		} else {
			fprintf(stderr, "mkcpio: bad entry '%s'\n", argv[i]);
			return 2;
		}
		free(spec);
	}
	entry("TRAILER!!!", 0, 0, 0, NULL, 0);
	if (fclose(out)) {
		fprintf(stderr, "mkcpio: cannot write %s\n", argv[1]);
		return 1;
	}
	return 0;
}
