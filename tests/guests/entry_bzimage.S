/* A bzImage in the Linux boot protocol's layout: one boot sector and one
 * setup sector holding the setup header, then the "protected-mode kernel"
 * loaded at 1 MiB, whose 64-bit entry is 0x200 bytes in. */
	.section .setup, "a"
	.code16
setup_start:
	.org 0x1f1
	.byte 1                 /* setup_sects */
	.word 0                 /* root_flags */
	.long guest_syssize     /* syssize, 16-byte units */
	.word 0                 /* ram_size */
	.word 0xffff            /* vid_mode */
	.word 0                 /* root_dev */
	.word 0xaa55            /* boot_flag */
	.byte 0xeb, hdr_end - 0x202 - setup_start /* jump over the header */
	.ascii "HdrS"           /* 0x202 header */
	.word 0x020f            /* 0x206 version 2.15 */
	.long 0                 /* realmode_swtch */
	.word 0                 /* start_sys_seg */
	.word 0                 /* kernel_version */
	.byte 0                 /* 0x210 type_of_loader */
	.byte 0x01              /* loadflags: LOADED_HIGH */
	.word 0                 /* setup_move_size */
	.long 0x100000          /* 0x214 code32_start */
	.long 0                 /* ramdisk_image */
	.long 0                 /* ramdisk_size */
	.long 0                 /* bootsect_kludge */
	.word 0                 /* heap_end_ptr */
	.byte 0                 /* ext_loader_ver */
	.byte 0                 /* ext_loader_type */
	.long 0                 /* 0x228 cmd_line_ptr */
	.long 0x7fffffff        /* 0x22c initrd_addr_max */
	.long 0x200000          /* 0x230 kernel_alignment */
	.byte 0                 /* relocatable_kernel */
	.byte 0                 /* min_alignment */
	.word 0x0001            /* 0x236 xloadflags: XLF_KERNEL_64 */
	.long 2047              /* 0x238 cmdline_size */
	.long 0                 /* hardware_subarch */
	.quad 0                 /* hardware_subarch_data */
	.long 0                 /* payload_offset */
	.long 0                 /* payload_length */
	.quad 0                 /* 0x250 setup_data */
	.quad 0x100000          /* 0x258 pref_address */
	.long guest_init_size   /* 0x260 init_size */
	.long 0                 /* handover_offset */
	.long 0                 /* kernel_info_offset */
hdr_end:
	.org 0x400

	.section .head, "ax"
	.code32
	.globl _image_start
_image_start:
	ud2 /* startup_32: not supported by this guest */
	.org 0x200
	.code64
	.globl startup_64
startup_64:
	/* The monitor's GDT and identity map stay: the checks use them. */
	xorl %edi, %edi /* GUEST_MODE_LINUX64; %rsi = zero page */
	jmp enter_c
