/* Shared by both entries: the GDT with user segments, a user-accessible
 * identity map of the low 4 GiB (2 MiB pages, built at link time), and the
 * drop to ring 3 with IOPL 3.  Every ring-0 instruction is emulated on
 * nested hosts, so this is all the ring-0 code the guests run. */
/* Linux's selector layout: hypervisors that run guest user mode as host
 * user mode (PVM) insist on it. */
#define KERNEL_CS 0x10
#define KERNEL_DS 0x18
#define USER32_CS 0x23
#define USER_DS   0x2b
#define USER_CS   0x33
#define TSS_SEL   0x38
#define RFLAGS_IOPL3 0x3002

	.section .data.pt, "aw"
	.balign 4096
	.globl guest_pml4
guest_pml4:
	.quad guest_pdpt + 0x7 /* present, writable, user */
	.fill 511, 8, 0
guest_pdpt:
	.quad guest_pd + 0x0000 + 0x7
	.quad guest_pd + 0x1000 + 0x7
	.quad guest_pd + 0x2000 + 0x7
	.quad guest_pd + 0x3000 + 0x7
	.fill 508, 8, 0
guest_pd:
	.set addr, 0
	.rept 2048
	.quad addr + 0x87 /* present, writable, user, 2 MiB */
	.set addr, addr + 0x200000
	.endr

	.section .data
	.balign 16
guest_gdt:
	.quad 0
	.quad 0
	.quad 0x00af9b000000ffff /* 0x10 kernel code 64 */
	.quad 0x00cf93000000ffff /* 0x18 kernel data */
	.quad 0x00cffb000000ffff /* 0x20 user code 32 */
	.quad 0x00cff3000000ffff /* 0x28 user data */
	.quad 0x00affb000000ffff /* 0x30 user code 64 */
guest_gdt_tss:
	.quad 0x0000890000000067 /* 0x38 TSS, base patched at run time */
	.quad 0
guest_gdt_end:
	.globl guest_gdt_desc
guest_gdt_desc:
	.word guest_gdt_end - guest_gdt - 1
	.quad guest_gdt

	.balign 16
guest_idt:
	.fill 0x100, 8, 0
	.word 0                  /* offset 15:0, patched */
	.word KERNEL_CS
	.word 0xee00             /* present, DPL 3, 64-bit interrupt gate */
	.word 0                  /* offset 31:16, patched */
	.quad 0
guest_idt_end:
guest_idt_desc:
	.word guest_idt_end - guest_idt - 1
	.quad guest_idt

	.balign 16
guest_tss:
	.long 0
	.quad int_stack_top      /* RSP0 */
	.fill 0x68 - 12, 1, 0

	.section .bss
	.balign 16
	.skip 4096
int_stack_top:
stack:
	.skip 16384
stack_top:

	.section .text
	.code64
/* %edi: GUEST_MODE_*, %rsi: boot_params or start_info; paging with
 * guest_pml4 and guest_gdt_desc loaded by the caller. */
	.globl to_ring3
to_ring3:
	movq $stack_top, %rsp /* the boot protocols promise no stack */
	/* Ring 3 has no IOPL on hypervisors that run guest user mode as host
	 * user mode (PVM), so port I/O goes through int $0x80: an IDT gate
	 * and a TSS for the ring-0 stack, patched with their addresses here
	 * because a descriptor splits them in pieces. */
	movl $io_int80, %eax
	movw %ax, guest_idt + 0x80 * 16
	shrl $16, %eax
	movw %ax, guest_idt + 0x80 * 16 + 6
	lidt guest_idt_desc
	movl $guest_tss, %eax
	movw %ax, guest_gdt_tss + 2
	shrl $16, %eax
	movb %al, guest_gdt_tss + 4
	movb %ah, guest_gdt_tss + 7
	movw $TSS_SEL, %ax
	ltr %ax
	pushq $USER_DS
	pushq $stack_top
	pushq $RFLAGS_IOPL3
	pushq $USER_CS
	pushq $ring3_start
	iretq

ring3_start:
	call guest_main
	ud2

/* Port I/O for ring 3, int $0x80.  %eax: 0 rep outsb (%rsi buffer,
 * %rdx count), 1 inb (returns %eax), 2 outb (%esi value); %edi: port.  A
 * whole line of console output is one rep outsb: one exit to the monitor.
 * Clobbers %rcx. */
io_int80:
	movq %rdx, %rcx
	movl %edi, %edx
	cmpl $1, %eax
	je 1f
	cmpl $2, %eax
	je 2f
	rep outsb
	iretq
1:	inb (%dx), %al
	movzbl %al, %eax
	iretq
2:	movl %esi, %eax
	outb %al, (%dx)
	iretq
