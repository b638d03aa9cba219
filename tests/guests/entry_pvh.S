/* An ELF kernel with a PVH entry: the Xen PHYS32_ENTRY note names the 32-bit
 * entry, reached in flat protected mode with paging off and %ebx pointing at
 * hvm_start_info.  Enable long mode with the guest's own tables, then drop
 * C. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.Xen, "a", @note
	.balign 4
	.long 4                 /* namesz */
	.long 4                 /* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long pvh_start

	.section .head, "ax"
	.code32
	.globl _image_start
_image_start:
	.globl pvh_start
pvh_start:
	movl %ebx, %esi
	lgdt guest_gdt_desc
	movl $guest_pml4, %eax
	movl %eax, %cr3
	movl $0x20, %eax        /* CR4.PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx  /* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl $0x80000011, %eax  /* CR0.PG | ET | PE */
	movl %eax, %cr0
	ljmp $0x10, $pvh_long
	.code64
pvh_long:
	movl $1, %edi           /* GUEST_MODE_PVH; %rsi = start_info */
	jmp enter_c
