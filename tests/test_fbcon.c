/* The framebuffer console (boot/fbcon.c) drawing into memory: glyph pixels
 * at the right place in both pixel formats, wrapping, scrolling, '\r'
 * overwrite and line redraws, and nothing written outside the visible
 * width (the stride's padding) or below the last whole text row. Then the
 * font converter (scripts/mkfont.sh) on crafted PSF1 and PSF2 fonts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../boot/fbcon.h"
#include "harness.h"

/* 10 x 4 cells, 3 pixels of width and 5 rows of height left over, and a
 * stride with padding the console must never touch. */
#define W (8 * 10 + 3)
#define H (16 * 4 + 5)
#define STRIDE 90
#define PAD 0xdeadbeefu
#define GREY 0x00c0c0c0u

static uint32_t px[STRIDE * H];

static void setup(struct fbcon *c, int format)
{
	struct fb fb = { px, W, H, STRIDE, format };

	for (size_t i = 0; i < sizeof(px) / sizeof(px[0]); i++)
		px[i] = PAD;
	CHECK_EQ(fbcon_init(c, &fb), 0);
	CHECK_EQ(c->cols, 10);
	CHECK_EQ(c->rows, 4);
}

static uint32_t at(uint32_t x, uint32_t y)
{
	return px[(size_t)y * STRIDE + x];
}

/* Cell (col, row) shows ch in pixel values fg on bg. */
static bool cell_is(uint32_t col, uint32_t row, char ch, uint32_t fg, uint32_t bg)
{
	const uint8_t *g = hvb_font8x16[(unsigned char)ch];

	for (uint32_t y = 0; y < 16; y++)
		for (uint32_t x = 0; x < 8; x++)
			if (at(col * 8 + x, row * 16 + y) != ((g[y] & (0x80 >> x)) ? fg : bg))
				return false;
	return true;
}

/* Text row row reads text, then blank cells and blank leftover pixels
 * (default colours). */
static bool row_is(uint32_t row, const char *text)
{
	size_t n = strlen(text);

	for (uint32_t col = 0; col < 10; col++)
		if (!cell_is(col, row, col < n ? text[col] : ' ', GREY, 0))
			return false;
	for (uint32_t y = row * 16; y < row * 16 + 16; y++)
		for (uint32_t x = 80; x < W; x++)
			if (at(x, y) != 0)
				return false;
	return true;
}

#define CHECK_ROW(row, text) CHECK_MSG(row_is(row, text), "row %d is not \"%s\"", row, text)

static bool padding_intact(void)
{
	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = W; x < STRIDE; x++)
			if (at(x, y) != PAD)
				return false;
	return true;
}

TEST(fbcon_font_is_ascii)
{
	/* Printable characters have ink (space none), control codes none,
	 * and the glyphs differ where an index mix-up would show. */
	for (int ch = 0; ch < 128; ch++) {
		bool ink = false;

		for (int r = 0; r < 16; r++)
			ink |= hvb_font8x16[ch][r] != 0;
		CHECK_MSG(ink == (ch > 0x20 && ch < 0x7f), "glyph 0x%02x", ch);
	}
	CHECK(memcmp(hvb_font8x16['A'], hvb_font8x16['B'], 16) != 0);
	CHECK(memcmp(hvb_font8x16['l'], hvb_font8x16['1'], 16) != 0);
	/* 'A' has a crossbar: some row in its middle has more than 2 pixels. */
	int widest = 0;
	for (int r = 4; r < 14; r++) {
		int n = __builtin_popcount(hvb_font8x16['A'][r]);

		widest = n > widest ? n : widest;
	}
	CHECK(widest > 2);
}

TEST(fbcon_init_checks)
{
	static uint32_t mem[64 * 32];
	struct fbcon c;
	struct fb ok = { mem, 64, 32, 64, FB_BGRX }, fb;

	fb = ok;
	CHECK_EQ(fbcon_init(&c, &fb), 0);
	CHECK(c.cols == 8 && c.rows == 2 && c.col == 0 && c.row == 0);
	fb = ok, fb.base = NULL;
	CHECK_EQ(fbcon_init(&c, &fb), -EINVAL);
	fb = ok, fb.base = (char *)mem + 2;
	CHECK_EQ(fbcon_init(&c, &fb), -EINVAL);
	fb = ok, fb.width = 7, fb.stride = 7;
	CHECK_EQ(fbcon_init(&c, &fb), -EINVAL);
	fb = ok, fb.height = 15;
	CHECK_EQ(fbcon_init(&c, &fb), -EINVAL);
	fb = ok, fb.stride = 63;
	CHECK_EQ(fbcon_init(&c, &fb), -EINVAL);
	fb = ok, fb.format = 2;
	CHECK_EQ(fbcon_init(&c, &fb), -EINVAL);
	fb = ok, fb.width = 8, fb.height = 16;
	CHECK_EQ(fbcon_init(&c, &fb), 0);
	CHECK(c.cols == 1 && c.rows == 1);
}

TEST(fbcon_glyph_pixels)
{
	struct fbcon c;
	const uint8_t *bytes = (const uint8_t *)px;

	setup(&c, FB_BGRX);
	/* init cleared the visible area to black, not the padding. */
	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = 0; x < W; x++)
			CHECK(at(x, y) == 0);
	CHECK(padding_intact());

	fbcon_puts(&c, "ab\ncd");
	CHECK(cell_is(0, 0, 'a', GREY, 0) && cell_is(1, 0, 'b', GREY, 0));
	CHECK(cell_is(0, 1, 'c', GREY, 0) && cell_is(1, 1, 'd', GREY, 0));
	CHECK(c.col == 2 && c.row == 1);

	/* Red on blue: in BGRX memory a red pixel is bytes 00 00 ff 00. */
	fbcon_set_colors(&c, 0xff0000, 0x0000ff);
	fbcon_putc(&c, 'A');
	CHECK(cell_is(2, 1, 'A', 0x00ff0000u, 0x000000ffu));
	for (uint32_t y = 0; y < 16; y++)
		for (uint32_t x = 0; x < 8; x++) {
			const uint8_t *p = bytes + 4 * ((size_t)(16 + y) * STRIDE + 16 + x);
			bool ink = hvb_font8x16['A'][y] & (0x80 >> x);

			CHECK(memcmp(p, ink ? "\x00\x00\xff\x00" : "\xff\x00\x00\x00", 4) == 0);
		}
	CHECK(cell_is(1, 1, 'd', GREY, 0)); /* the neighbour is untouched */

	/* RGBX: the same red is bytes ff 00 00 00. */
	setup(&c, FB_RGBX);
	fbcon_set_colors(&c, 0xff0000, 0x00ff00);
	fbcon_puts(&c, "\n\n\n      M");
	CHECK(cell_is(6, 3, 'M', 0x000000ffu, 0x0000ff00u));
	for (uint32_t y = 0; y < 16; y++)
		for (uint32_t x = 0; x < 8; x++) {
			const uint8_t *p = bytes + 4 * ((size_t)(48 + y) * STRIDE + 48 + x);
			bool ink = hvb_font8x16['M'][y] & (0x80 >> x);

			CHECK(memcmp(p, ink ? "\xff\x00\x00\x00" : "\x00\xff\x00\x00", 4) == 0);
		}
	CHECK(padding_intact());
}

TEST(fbcon_wrap)
{
	struct fbcon c;

	setup(&c, FB_BGRX);
	/* A full line leaves the cursor on it until the next character. */
	fbcon_puts(&c, "0123456789");
	CHECK(c.row == 0 && c.wrap_pending);
	fbcon_putc(&c, 'X');
	CHECK_ROW(0, "0123456789");
	CHECK_ROW(1, "X");
	CHECK(c.row == 1 && c.col == 1);
	/* ...so '\r' after a full line stays on it. */
	fbcon_puts(&c, "\nabcdefghij\rAB");
	CHECK_ROW(2, "ABcdefghij");
	CHECK(c.row == 2 && c.col == 2);
	/* ...and '\n' after a full line moves one line, not two. */
	fbcon_puts(&c, "\r0123456789\nY");
	CHECK_ROW(2, "0123456789");
	CHECK_ROW(3, "Y");
	/* A long string wraps on and on (scrolling at the bottom). */
	setup(&c, FB_BGRX);
	fbcon_puts(&c, "abcdefghijklmnopqrstuvwxyz");
	CHECK_ROW(0, "abcdefghij");
	CHECK_ROW(1, "klmnopqrst");
	CHECK_ROW(2, "uvwxyz");
	CHECK(padding_intact());
}

TEST(fbcon_scroll)
{
	struct fbcon c;

	setup(&c, FB_BGRX);
	/* Mark the 5 pixel rows below the last text row: never touched. */
	for (uint32_t y = 64; y < H; y++)
		for (uint32_t x = 0; x < W; x++)
			px[(size_t)y * STRIDE + x] = 0x00123456;
	/* 11 characters on the last row: the 11th wraps onto a fifth line,
	 * which scrolls once. */
	fbcon_puts(&c, "L0\nL1\nL2\nL3 long one");
	CHECK_ROW(0, "L1");
	CHECK_ROW(1, "L2");
	CHECK_ROW(2, "L3 long on");
	CHECK_ROW(3, "e");
	CHECK(c.row == 3 && c.col == 1);
	fbcon_puts(&c, "\nL4");
	CHECK_ROW(0, "L2");
	CHECK_ROW(1, "L3 long on");
	CHECK_ROW(2, "e");
	CHECK_ROW(3, "L4");
	fbcon_puts(&c, "\n");
	CHECK_ROW(2, "L4");
	CHECK_ROW(3, ""); /* the new last line is clear */
	CHECK(c.row == 3 && c.col == 0);
	for (int i = 0; i < 20; i++)
		fbcon_puts(&c, "\nline");
	CHECK_ROW(0, "line");
	CHECK_ROW(3, "line");
	for (uint32_t y = 64; y < H; y++)
		for (uint32_t x = 0; x < W; x++)
			CHECK(at(x, y) == 0x00123456);
	CHECK(padding_intact());

	/* One text row: every newline scrolls it away. */
	static uint32_t one[8 * 16];
	struct fb fb = { one, 8, 16, 8, FB_BGRX };
	CHECK_EQ(fbcon_init(&c, &fb), 0);
	fbcon_puts(&c, "a\nb");
	CHECK(c.row == 0 && c.col == 0 && c.wrap_pending);
	fbcon_putc(&c, '\n');
	for (int i = 0; i < 8 * 16; i++)
		CHECK(one[i] == 0);
}

TEST(fbcon_overwrite_line)
{
	struct fbcon c;

	setup(&c, FB_BGRX);
	/* '\r' returns to column 0; the next text overwrites. */
	fbcon_puts(&c, "hello\rHE");
	CHECK_ROW(0, "HEllo");
	CHECK(c.col == 2);
	fbcon_clear_eol(&c);
	CHECK_ROW(0, "HE");
	CHECK(c.col == 2);
	/* The redraw: text, then the rest of the line cleared. */
	fbcon_puts(&c, "llo world"); /* wraps: "HEllo worl" and "d" */
	CHECK_ROW(1, "d");
	fbcon_redraw_line(&c, "abc");
	CHECK_ROW(1, "abc");
	CHECK_ROW(0, "HEllo worl");
	CHECK(c.row == 1 && c.col == 3);
	/* Longer than the line: cut, never wrapped or scrolled. */
	fbcon_redraw_line(&c, "0123456789ABCDEF");
	CHECK_ROW(1, "0123456789");
	CHECK_ROW(2, "");
	fbcon_clear_eol(&c); /* nothing left after the last column */
	CHECK_ROW(1, "0123456789");
	fbcon_redraw_line(&c, "x\x01y\x7f");
	CHECK_ROW(1, "xy");
	fbcon_redraw_line(&c, "");
	CHECK_ROW(1, "");
	CHECK(c.row == 1 && c.col == 0);
	CHECK(padding_intact());
}

TEST(fbcon_tabs_and_control_bytes)
{
	struct fbcon c;

	setup(&c, FB_BGRX);
	fbcon_puts(&c, "a\tb");
	CHECK_ROW(0, "a       b");
	CHECK(c.col == 9);
	fbcon_puts(&c, "\tc"); /* a tab at column 9 runs to the end of the line */
	CHECK_ROW(0, "a       b ");
	CHECK_ROW(1, "c");
	/* Control bytes draw nothing; bytes above 0x7e draw '?'. */
	fbcon_puts(&c, "\x01\x07\x1b\x7f" "d\xe9");
	CHECK_ROW(1, "cd?");
	fbcon_clear(&c);
	CHECK(c.col == 0 && c.row == 0);
	for (uint32_t r = 0; r < 4; r++)
		CHECK_ROW(r, "");
	CHECK(padding_intact());
}

/* ---- scripts/mkfont.sh ---- */

struct font {
	uint8_t b[40000];
	size_t n;
};

static void put8(struct font *f, unsigned v)
{
	f->b[f->n++] = (uint8_t)v;
}

static void put16(struct font *f, unsigned v)
{
	put8(f, v & 0xff);
	put8(f, v >> 8);
}

static void put32(struct font *f, unsigned v)
{
	put16(f, v & 0xffff);
	put16(f, v >> 16);
}

/* Glyph g's row r: distinct enough that a wrong glyph shows. */
static uint8_t ink(unsigned g, unsigned r)
{
	return (uint8_t)(g * 7 + r * 13 + 1);
}

static void glyphs(struct font *f, unsigned count, unsigned height)
{
	for (unsigned g = 0; g < count; g++)
		for (unsigned r = 0; r < height; r++)
			put8(f, ink(g, r));
}

static char dir[] = "/tmp/hvb-mkfont-XXXXXX";

/* Writes f, runs the converter, and reads the table back into out; the
 * exit status, with stderr in err. */
static int convert(const struct font *f, const char *name, uint8_t out[128][16], char *err,
		   size_t errlen)
{
	char path[128], cmd[512], line[512];
	FILE *fp;
	int rc, rows = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	CHECK(fp && fwrite(f->b, 1, f->n, fp) == f->n);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "rm -f %s/out.c; scripts/mkfont.sh %s %s/out.c 2>%s/err", dir,
		 path, dir, dir);
	rc = system(cmd);
	snprintf(path, sizeof(path), "%s/err", dir);
	fp = fopen(path, "r");
	CHECK(fp);
	err[fread(err, 1, errlen - 1, fp)] = '\0';
	fclose(fp);
	if (rc != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/out.c", dir);
	fp = fopen(path, "r");
	CHECK(fp);
	while (fgets(line, sizeof(line), fp))
		if (line[0] == '\t' && line[1] == '{') {
			char *p = line + 2;

			CHECK(rows < 128);
			for (int r = 0; r < 16; r++) {
				out[rows][r] = (uint8_t)strtoul(p, &p, 16);
				p += strspn(p, ", ");
			}
			rows++;
		}
	fclose(fp);
	CHECK_EQ(rows, 128);
	return 0;
}

/* The table holds glyph glyph_of(ch) for every printable ch, zeros else. */
static void check_table(uint8_t out[128][16], unsigned (*glyph_of)(unsigned))
{
	for (unsigned ch = 0; ch < 128; ch++)
		for (unsigned r = 0; r < 16; r++) {
			unsigned want = ch >= 0x20 && ch <= 0x7e ? ink(glyph_of(ch), r) : 0;

			CHECK_MSG(out[ch][r] == want, "char 0x%02x row %u: 0x%02x, want 0x%02x", ch,
				  r, out[ch][r], want);
		}
}

static unsigned by_index(unsigned ch)
{
	return ch;
}

static unsigned reversed_512(unsigned ch)
{
	return 300 - ch;
}

static unsigned reversed_256(unsigned ch)
{
	return 255 - ch;
}

static void mkfont_setup(void)
{
	if (access("scripts/mkfont.sh", X_OK) != 0)
		test_skip("scripts/mkfont.sh is not here (run from the source tree)");
	if (system("command -v gzip od awk >/dev/null 2>&1") != 0)
		test_skip("gzip, od or awk is missing");
	CHECK(mkdtemp(dir) != NULL);
}

static void mkfont_cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

TEST(mkfont_psf1)
{
	static struct font f;
	static uint8_t out[128][16];
	char err[512];

	mkfont_setup();
	/* No Unicode table: glyph N is character N. */
	f.n = 0;
	put8(&f, 0x36), put8(&f, 0x04), put8(&f, 0), put8(&f, 16);
	glyphs(&f, 256, 16);
	CHECK_MSG(convert(&f, "plain.psf", out, err, sizeof(err)) == 0, "%s", err);
	check_table(out, by_index);
	/* Gzipped, as Debian ships them. */
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "gzip -c %s/plain.psf > %s/plain.psf.gz", dir, dir);
		CHECK_EQ(system(cmd), 0);
		/* The same table; only the first line (naming the file) differs. */
		snprintf(cmd, sizeof(cmd),
			 "scripts/mkfont.sh %s/plain.psf.gz %s/gz.c && tail -n +2 %s/gz.c > %s/a && "
			 "tail -n +2 %s/out.c > %s/b && cmp -s %s/a %s/b",
			 dir, dir, dir, dir, dir, dir, dir, dir);
		CHECK_EQ(system(cmd), 0);
	}

	/* 512 glyphs and a table in the other order: glyph 300 - c is c. A
	 * sequence (FFFE 'A' U+0301) and a later glyph also naming 'A' must not
	 * win; a code point outside ASCII is ignored. */
	f.n = 0;
	put8(&f, 0x36), put8(&f, 0x04), put8(&f, 0x03), put8(&f, 16);
	glyphs(&f, 512, 16);
	for (unsigned g = 0; g < 512; g++) {
		if (g == 0)
			put16(&f, 0x263a);
		if (300 - (int)g >= 0x20 && 300 - (int)g <= 0x7e)
			put16(&f, 300 - g);
		if (g == 500)
			put16(&f, 'A');
		if (g == 10)
			put16(&f, 0xfffe), put16(&f, 'A'), put16(&f, 0x301);
		put16(&f, 0xffff);
	}
	CHECK_MSG(convert(&f, "table.psf", out, err, sizeof(err)) == 0, "%s", err);
	check_table(out, reversed_512);

	/* Refusals: other sizes, a short file, a table without a character. */
	f.n = 0;
	put8(&f, 0x36), put8(&f, 0x04), put8(&f, 0), put8(&f, 14);
	glyphs(&f, 256, 14);
	CHECK(convert(&f, "small.psf", out, err, sizeof(err)) != 0);
	CHECK_MSG(strstr(err, "small.psf: glyphs are 8x14, not 8x16"), "%s", err);
	f.n = 0;
	put8(&f, 0x36), put8(&f, 0x04), put8(&f, 0), put8(&f, 16);
	glyphs(&f, 255, 16);
	CHECK(convert(&f, "short.psf", out, err, sizeof(err)) != 0);
	CHECK_MSG(strstr(err, "truncated: 256 glyphs of 16 bytes need 4100 bytes, the file has 4084"),
		  "%s", err);
	f.n = 0;
	put8(&f, 0x36), put8(&f, 0x04), put8(&f, 0x02), put8(&f, 16);
	glyphs(&f, 256, 16);
	for (unsigned g = 0; g < 256; g++) {
		if (g >= 0x20 && g <= 0x7e && g != 'Z')
			put16(&f, g);
		put16(&f, 0xffff);
	}
	CHECK(convert(&f, "noz.psf", out, err, sizeof(err)) != 0);
	CHECK_MSG(strstr(err, "no glyph for U+005A"), "%s", err);
	/* A table that stops early. */
	f.n -= 2 * 100;
	CHECK(convert(&f, "cut.psf", out, err, sizeof(err)) != 0);
	CHECK_MSG(strstr(err, "the Unicode table ends after"), "%s", err);
	f.n = 0;
	put32(&f, 0x12345678);
	CHECK(convert(&f, "junk", out, err, sizeof(err)) != 0);
	CHECK_MSG(strstr(err, "not a PSF1 or PSF2 font"), "%s", err);
	/* A failure leaves no output behind. */
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/out.c", dir);
		CHECK(access(path, F_OK) != 0);
		snprintf(path, sizeof(path), "%s/out.c.tmp", dir);
		CHECK(access(path, F_OK) != 0);
	}
	mkfont_cleanup();
}

static void psf2_header(struct font *f, unsigned hdr, unsigned flags, unsigned count,
			unsigned height, unsigned width)
{
	f->n = 0;
	put8(f, 0x72), put8(f, 0xb5), put8(f, 0x4a), put8(f, 0x86);
	put32(f, 0);
	put32(f, hdr);
	put32(f, flags);
	put32(f, count);
	put32(f, height * ((width + 7) / 8));
	put32(f, height);
	put32(f, width);
	while (f->n < hdr)
		put8(f, 0xee); /* a longer header: glyphs start at headersize */
}

TEST(mkfont_psf2)
{
	static struct font f;
	static uint8_t out[128][16];
	char err[512];

	mkfont_setup();
	/* A UTF-8 table, glyph 255 - c is c, with 2-, 3- and 4-byte
	 * characters and a sequence naming 'B' to skip. */
	psf2_header(&f, 40, 1, 256, 16, 8);
	glyphs(&f, 256, 16);
	for (unsigned g = 0; g < 256; g++) {
		if (g == 0) {
			static const uint8_t wide[] = { 0xc3, 0xa9, 0xe2, 0x94, 0x80,
							0xf0, 0x9f, 0x98, 0x80 };

			for (size_t i = 0; i < sizeof(wide); i++)
				put8(&f, wide[i]);
		}
		if (255 - g >= 0x20 && 255 - g <= 0x7e)
			put8(&f, 255 - g);
		if (g == 3)
			put8(&f, 0xfe), put8(&f, 'B'), put8(&f, 0xcc), put8(&f, 0x81);
		put8(&f, 0xff);
	}
	CHECK_MSG(convert(&f, "utf8.psf", out, err, sizeof(err)) == 0, "%s", err);
	check_table(out, reversed_256);
	/* Without a table, by index. */
	psf2_header(&f, 32, 0, 128, 16, 8);
	glyphs(&f, 128, 16);
	CHECK_MSG(convert(&f, "plain2.psf", out, err, sizeof(err)) == 0, "%s", err);
	check_table(out, by_index);
	/* Too few glyphs for ASCII by index. */
	psf2_header(&f, 32, 0, 100, 16, 8);
	glyphs(&f, 100, 16);
	CHECK(convert(&f, "few.psf", out, err, sizeof(err)) != 0);
	CHECK_MSG(strstr(err, "no glyph 100"), "%s", err);
	/* Refusals: wider glyphs, a header size outside the file, bad UTF-8. */
	psf2_header(&f, 32, 0, 256, 16, 9);
	glyphs(&f, 256, 32);
	CHECK(convert(&f, "wide.psf", out, err, sizeof(err)) != 0);
	CHECK_MSG(strstr(err, "glyphs are 9x16, not 8x16"), "%s", err);
	psf2_header(&f, 32, 0, 256, 16, 8);
	f.b[8] = 0xff, f.b[9] = 0xff;
	CHECK(convert(&f, "hdr.psf", out, err, sizeof(err)) != 0);
	CHECK_MSG(strstr(err, "PSF2 header size 65535 is not in 32..32"), "%s", err);
	psf2_header(&f, 32, 1, 1, 16, 8);
	glyphs(&f, 1, 16);
	put8(&f, 0x80), put8(&f, 0xff);
	CHECK(convert(&f, "utf.psf", out, err, sizeof(err)) != 0);
	CHECK_MSG(strstr(err, "bad UTF-8 byte 128"), "%s", err);
	mkfont_cleanup();
}
