/* Text console on a linear framebuffer (fbcon.h). Pixels are written as
 * aligned 32-bit stores; the only reads of the framebuffer are the scroll's
 * memmove (slow on write-combined video memory, but a boot console scrolls
 * rarely and this keeps no shadow copy of the screen). */
#include "fbcon.h"

#include <errno.h>
#include <string.h>

#define DEFAULT_FG 0xc0c0c0u
#define DEFAULT_BG 0x000000u

/* 0xRRGGBB to the framebuffer's 32-bit pixel (little-endian stores). */
static uint32_t pixel(int format, uint32_t rgb)
{
	uint32_t r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;

	if (format == FB_RGBX)
		return b << 16 | g << 8 | r;
	return r << 16 | g << 8 | b;
}

static uint32_t *line_ptr(const struct fbcon *c, uint32_t y)
{
	return (uint32_t *)c->fb.base + (size_t)y * c->fb.stride;
}

/* Fills pixels x0..width-1 of the text row in the background colour. */
static void fill_row_from(struct fbcon *c, uint32_t row, uint32_t x0)
{
	for (uint32_t y = 0; y < FBCON_GLYPH_H; y++) {
		uint32_t *p = line_ptr(c, row * FBCON_GLYPH_H + y);

		for (uint32_t x = x0; x < c->fb.width; x++)
			p[x] = c->bg;
	}
}

int fbcon_init(struct fbcon *c, const struct fb *fb)
{
	if (!fb->base || ((uintptr_t)fb->base & 3) || fb->width < FBCON_GLYPH_W ||
	    fb->height < FBCON_GLYPH_H || fb->stride < fb->width ||
	    (fb->format != FB_BGRX && fb->format != FB_RGBX))
		return -EINVAL;
	/* Every offset below is a size_t: the whole buffer must fit one. */
	if ((uint64_t)fb->stride * fb->height > SIZE_MAX / 4)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->fb = *fb;
	c->cols = fb->width / FBCON_GLYPH_W;
	c->rows = fb->height / FBCON_GLYPH_H;
	fbcon_set_colors(c, DEFAULT_FG, DEFAULT_BG);
	fbcon_clear(c);
	return 0;
}

void fbcon_set_colors(struct fbcon *c, uint32_t fg_rgb, uint32_t bg_rgb)
{
	c->fg = pixel(c->fb.format, fg_rgb);
	c->bg = pixel(c->fb.format, bg_rgb);
}

void fbcon_clear(struct fbcon *c)
{
	for (uint32_t y = 0; y < c->fb.height; y++) {
		uint32_t *p = line_ptr(c, y);

		for (uint32_t x = 0; x < c->fb.width; x++)
			p[x] = c->bg;
	}
	c->col = c->row = 0;
	c->wrap_pending = false;
}

void fbcon_clear_eol(struct fbcon *c)
{
	/* After the last column was written, the line has nothing left. */
	if (!c->wrap_pending)
		fill_row_from(c, c->row, c->col * FBCON_GLYPH_W);
}

/* Moves the text up one line and clears the last; pixel rows below the
 * last whole text row (height % 16) are left alone. */
static void scroll(struct fbcon *c)
{
	size_t line_bytes = (size_t)c->fb.stride * 4;

	if (c->rows > 1)
		memmove(line_ptr(c, 0), line_ptr(c, FBCON_GLYPH_H),
			(size_t)(c->rows - 1) * FBCON_GLYPH_H * line_bytes);
	fill_row_from(c, c->rows - 1, 0);
}

static void newline(struct fbcon *c)
{
	c->col = 0;
	c->wrap_pending = false;
	if (c->row + 1 < c->rows)
		c->row++;
	else
		scroll(c);
}

static void draw(struct fbcon *c, unsigned char ch)
{
	const uint8_t *g = hvb_font8x16[ch & 0x7f];
	uint32_t x0 = c->col * FBCON_GLYPH_W;

	for (uint32_t y = 0; y < FBCON_GLYPH_H; y++) {
		uint32_t *p = line_ptr(c, c->row * FBCON_GLYPH_H + y) + x0;

		for (uint32_t x = 0; x < FBCON_GLYPH_W; x++)
			p[x] = (g[y] & (0x80u >> x)) ? c->fg : c->bg;
	}
}

/* A printable character at the cursor, wrapping first if one is owed. */
static void put_glyph(struct fbcon *c, unsigned char ch)
{
	if (c->wrap_pending)
		newline(c);
	draw(c, ch);
	if (c->col + 1 < c->cols)
		c->col++;
	else
		c->wrap_pending = true;
}

void fbcon_putc(struct fbcon *c, char ch)
{
	unsigned char u = (unsigned char)ch;

	switch (u) {
	case '\n':
		newline(c);
		return;
	case '\r':
		c->col = 0;
		c->wrap_pending = false;
		return;
	case '\t':
		do
			put_glyph(c, ' ');
		while (c->col % 8 && !c->wrap_pending);
		return;
	default:
		break;
	}
	if (u < 0x20 || u == 0x7f)
		return;
	put_glyph(c, u > 0x7e ? '?' : u);
}

void fbcon_puts(struct fbcon *c, const char *s)
{
	while (*s)
		fbcon_putc(c, *s++);
}

void fbcon_redraw_line(struct fbcon *c, const char *s)
{
	c->col = 0;
	c->wrap_pending = false;
	for (; *s && !c->wrap_pending; s++) {
		unsigned char u = (unsigned char)*s;

		if (u < 0x20 || u == 0x7f)
			continue;
		put_glyph(c, u > 0x7e ? '?' : u);
	}
	fbcon_clear_eol(c);
}
