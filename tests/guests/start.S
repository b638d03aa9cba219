/* Shared by both entries: the GDT and an identity map of the low 4 GiB for
 * the PVH entry (which starts with paging off), and the jump into C.
 *
 * The guests stay in ring 0.  The plan was ring 3 with IOPL 3, because ring
 * 0 is emulated on nested PVM hosts (~1 us per instruction); but PVM runs
 * guest user mode as host user mode with IOPL forced to 0, and neither
 * int $0x80 (events from user mode bypass the IDT) nor syscall (PVM
 * supervisor mode, where port I/O faults too) lead back to a ring 0 that
 * can reach the UART.  So the guests keep every loop short instead: small
 * data, table-driven checksums, whole lines per print. */
#define KERNEL_CS 0x10
#define KERNEL_DS 0x18

	.section .data.pt, "aw"
	.balign 4096
	.globl guest_pml4
guest_pml4:
	.quad guest_pdpt + 0x3 /* present, writable */
	.fill 511, 8, 0
guest_pdpt:
	.quad guest_pd + 0x0000 + 0x3
	.quad guest_pd + 0x1000 + 0x3
	.quad guest_pd + 0x2000 + 0x3
	.quad guest_pd + 0x3000 + 0x3
	.fill 508, 8, 0
guest_pd:
	.set addr, 0
	.rept 2048
	.quad addr + 0x83 /* present, writable, 2 MiB */
	.set addr, addr + 0x200000
	.endr

	.section .data
	.balign 16
guest_gdt:
	.quad 0
	.quad 0
	.quad 0x00af9b000000ffff /* 0x10 code 64 */
	.quad 0x00cf93000000ffff /* 0x18 data */
guest_gdt_end:
	.globl guest_gdt_desc
guest_gdt_desc:
	.word guest_gdt_end - guest_gdt - 1
	.quad guest_gdt

	.section .bss
	.balign 16
stack:
	.skip 16384
stack_top:

	.section .text
	.code64
/* %edi: GUEST_MODE_*, %rsi: boot_params or start_info. */
	.globl enter_c
enter_c:
	movq $stack_top, %rsp /* the boot protocols promise no stack */
	call guest_main
	ud2
