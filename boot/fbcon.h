/* A text console on a linear framebuffer (what UEFI's GOP leaves us, and
 * all that remains after ExitBootServices): 8x16 glyphs, two colours,
 * newline, carriage return, tab, wrap at the right edge, scrolling, and
 * clearing to the end of the line so that a progress line can be redrawn
 * in place ('\r', the new text, fbcon_clear_eol; or fbcon_redraw_line).
 * No backspace and no escape sequences: the boot messages need neither.
 * Pure code: it writes only into fb->base. */
#ifndef BOOT_FBCON_H
#define BOOT_FBCON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The pixel layouts GOP reports for linear framebuffers, 32 bits each:
 * FB_BGRX is bytes B, G, R, reserved (PixelBlueGreenRedReserved8BitPerColor),
 * FB_RGBX bytes R, G, B, reserved (PixelRedGreenBlueReserved8BitPerColor). */
enum { FB_BGRX, FB_RGBX };

struct fb {
	void *base;     /* 4-byte aligned */
	uint32_t width, height;
	uint32_t stride; /* pixels per line, >= width */
	int format;      /* FB_BGRX or FB_RGBX */
};

#define FBCON_GLYPH_W 8
#define FBCON_GLYPH_H 16

/* The font, generated at build time from a Debian console font
 * (scripts/mkfont.sh -> build/font8x16.c): glyphs for ASCII 0..127, one
 * byte per pixel row, the most significant bit leftmost; control codes and
 * DEL are blank. */
extern const uint8_t hvb_font8x16[128][FBCON_GLYPH_H];

struct fbcon {
	struct fb fb;
	uint32_t cols, rows; /* text cells: width / 8, height / 16 */
	uint32_t col, row;   /* the cursor */
	bool wrap_pending;   /* the last column was just written */
	uint32_t fg, bg;     /* pixel values in fb.format */
};

/* 0, or -EINVAL when the framebuffer cannot hold one cell, its base is
 * NULL or misaligned, the stride is below the width, its size does not fit
 * a size_t or the format is unknown. Clears the screen in light grey on
 * black and puts the cursor at the top left. */
int fbcon_init(struct fbcon *c, const struct fb *fb);

/* Colours as 0xRRGGBB; they apply to what is drawn from now on. */
void fbcon_set_colors(struct fbcon *c, uint32_t fg_rgb, uint32_t bg_rgb);

/* '\n' goes to the start of the next line (scrolling at the bottom), '\r'
 * to the start of this one, '\t' to the next multiple of 8 (drawing
 * spaces); other control bytes are ignored and bytes above 0x7e are drawn
 * as '?'. A character written in the last column wraps only when the next
 * one comes (as a VT100 does), so a line exactly as wide as the screen
 * followed by '\r' stays on its line. */
void fbcon_putc(struct fbcon *c, char ch);
void fbcon_puts(struct fbcon *c, const char *s);

/* Clears from the cursor to the end of its line (the cursor stays). */
void fbcon_clear_eol(struct fbcon *c);

/* Clears the screen; the cursor goes to the top left. */
void fbcon_clear(struct fbcon *c);

/* Redraws the cursor's line in place: column 0, s (control bytes ignored,
 * cut at the last column rather than wrapped), then the rest of the line
 * cleared. The cursor ends after the text. For progress lines. */
void fbcon_redraw_line(struct fbcon *c, const char *s);

#endif
