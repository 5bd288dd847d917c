; The jump into Linux through its 64-bit entry point (Linux's
; Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"). The kernel
; asks for: 64-bit mode with paging on and its code, the zero page and the
; command line identity-mapped (the firmware's page tables, still live
; after ExitBootServices, map all memory 1:1); a GDT with flat 4 GiB
; descriptors for __BOOT_CS (0x10, execute/read) and __BOOT_DS (0x18,
; read/write); CS = 0x10 and DS = ES = SS = 0x18; interrupts disabled;
; RSI = the zero page. Everything else is left as clean as we can make it.
;
; Position-independent: the UEFI image is relocated when the firmware
; loads it, so only RIP-relative addressing is used and the object has no
; absolute relocations (the Makefile checks).
;
; void hvb_linux_enter(uint64_t entry, uint64_t boot_params)
;   System V: RDI = entry (load address + 0x200), RSI = boot_params.
;   Never returns.

	bits 64
	default rel

BOOT_CS equ 0x10
BOOT_DS equ 0x18

	section .text

	global hvb_linux_enter
hvb_linux_enter:
	cli			; boot.rst: interrupts disabled (they already are
				; when we poll; this makes it a property of the jump)
	cld

	; The GDT register is built on the stack at run time: its base is
	; the GDT's run-time address, which only a RIP-relative LEA knows.
	lea	rax, [gdt]
	sub	rsp, 16
	mov	word [rsp], gdt_end - gdt - 1
	mov	[rsp + 2], rax
	lgdt	[rsp]
	add	rsp, 16

	; CS can only be reloaded by a far transfer: push selector and
	; target, then a 64-bit far return pops both.
	lea	rax, [.cs_loaded]
	push	qword BOOT_CS
	push	rax
	o64 retf
.cs_loaded:
	; The data selectors. FS and GS too: the kernel does not ask, but
	; firmware values would point into a GDT that is no longer loaded.
	mov	eax, BOOT_DS
	mov	ds, eax
	mov	es, eax
	mov	ss, eax
	mov	fs, eax
	mov	gs, eax

	; RSI (boot_params) is already in place. The entry goes to RAX, the
	; other registers are cleared so nothing of ours leaks into the
	; kernel's view. RSP stays: the kernel sets its own stack first thing,
	; and until then an NMI needs a valid one.
	mov	rax, rdi
	xor	ebx, ebx
	xor	ecx, ecx
	xor	edx, edx
	xor	edi, edi
	xor	ebp, ebp
	xor	r8d, r8d
	xor	r9d, r9d
	xor	r10d, r10d
	xor	r11d, r11d
	xor	r12d, r12d
	xor	r13d, r13d
	xor	r14d, r14d
	xor	r15d, r15d
	; RFLAGS: only the always-one bit 1; IF, DF, TF, AC and the
	; arithmetic flags clear.
	push	qword 2
	popfq
	jmp	rax

	; The GDT lives in read-only data. Its descriptors have the accessed
	; bit set already: loading a selector whose descriptor lacks it makes
	; the CPU write the bit into the GDT, and the firmware may have mapped
	; our image's read-only sections read-only.
	section .rodata
	align	16
gdt:
	dq	0			; 0x00: the null descriptor
	dq	0			; 0x08: unused (the kernel's numbering)
	; 0x10 __BOOT_CS: base 0, limit 0xfffff pages (4 GiB), present, DPL 0,
	; code execute/read accessed (0x9b), G=1 and L=1 (64-bit code).
	dq	0x00af9b000000ffff
	; 0x18 __BOOT_DS: base 0, limit 4 GiB, present, DPL 0, data
	; read/write accessed (0x93), G=1, D/B=1.
	dq	0x00cf93000000ffff
gdt_end:

	; No executable stack for this object.
	section .note.GNU-stack noalloc noexec nowrite progbits
