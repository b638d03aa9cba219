/* The x86 boot-protocol structures husk writes into guest memory: Linux's
 * zero page (Documentation/arch/x86/boot.rst, zero-page.rst), the PVH
 * start_info (xen/include/public/arch-x86/hvm/start_info.h) and the MP table
 * (Intel MultiProcessor Specification 1.4).  Layouts are fixed by those
 * documents; offsets are asserted below.  Freestanding: the test guests
 * include this header too. */
#ifndef HUSK_VM_X86_BOOTPROTO_H
#define HUSK_VM_X86_BOOTPROTO_H

#include <stdint.h>

#define E820_RAM      1
#define E820_RESERVED 2

struct boot_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

struct setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;
	uint16_t jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
} __attribute__((packed));

#define SETUP_HDR_OFFSET	   0x1f1
#define SETUP_HDR_MAGIC		   0x53726448u /* "HdrS" */
#define SETUP_BOOT_FLAG		   0xaa55
#define LOADED_HIGH		   0x01
#define KEEP_SEGMENTS		   0x40
#define CAN_USE_HEAP		   0x80
#define XLF_KERNEL_64		   0x01
#define XLF_CAN_BE_LOADED_ABOVE_4G 0x02
#define BOOT_PROTO_MIN		   0x020c
#define LOADER_TYPE_UNDEFINED	   0xff
#define E820_MAX_ZEROPAGE	   128

struct boot_params {
	uint8_t screen_info[0x40];
	uint8_t apm_bios_info[0x14];
	uint8_t _pad2[4];
	uint64_t tboot_addr;
	uint8_t ist_info[0x10];
	uint64_t acpi_rsdp_addr;
	uint8_t _pad3[8];
	uint8_t hd0_info[16];
	uint8_t hd1_info[16];
	uint8_t sys_desc_table[0x10];
	uint8_t olpc_ofw_header[0x10];
	uint32_t ext_ramdisk_image;
	uint32_t ext_ramdisk_size;
	uint32_t ext_cmd_line_ptr;
	uint8_t _pad4[112];
	uint32_t cc_blob_address;
	uint8_t edid_info[0x80];
	uint8_t efi_info[0x20];
	uint32_t alt_mem_k;
	uint32_t scratch;
	uint8_t e820_entries;
	uint8_t eddbuf_entries;
	uint8_t edd_mbr_sig_buf_entries;
	uint8_t kbd_status;
	uint8_t secure_boot;
	uint8_t _pad5[2];
	uint8_t sentinel;
	uint8_t _pad6[1];
	struct setup_header hdr;
	uint8_t _pad7[0x290 - 0x1f1 - sizeof(struct setup_header)];
	uint32_t edd_mbr_sig_buffer[16];
	struct boot_e820_entry e820_table[E820_MAX_ZEROPAGE];
	uint8_t _pad8[48];
	uint8_t eddbuf[0xeec - 0xd00];
	uint8_t _pad9[276];
} __attribute__((packed));

_Static_assert(sizeof(struct boot_params) == 4096, "zero page is one page");
_Static_assert(__builtin_offsetof(struct boot_params, hdr) == 0x1f1, "hdr at 0x1f1");
_Static_assert(__builtin_offsetof(struct boot_params, e820_entries) == 0x1e8, "e820_entries");
_Static_assert(__builtin_offsetof(struct boot_params, e820_table) == 0x2d0, "e820_table");
_Static_assert(__builtin_offsetof(struct boot_params, ext_cmd_line_ptr) == 0xc8, "ext cmdline");
_Static_assert(__builtin_offsetof(struct boot_params, hdr.pref_address) == 0x258, "pref_address");
_Static_assert(__builtin_offsetof(struct boot_params, hdr.xloadflags) == 0x236, "xloadflags");

/* PVH: the ELF note that names the 32-bit entry, and what it finds in %ebx. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC		 0x336ec578u

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/* MP table (MPS 1.4), enough for Linux to find the CPUs, the I/O APIC and
 * the ISA interrupt routing without ACPI. */
#define MPF_SIGNATURE 0x5f504d5fu /* "_MP_" */
#define MPC_SIGNATURE 0x504d4350u /* "PCMP" */

struct mpf_intel {
	uint32_t signature;
	uint32_t physptr;
	uint8_t length; /* in 16-byte units: 1 */
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature1;
	uint8_t feature2;
	uint8_t feature3[3];
} __attribute__((packed));

struct mpc_table {
	uint32_t signature;
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount;
	uint32_t lapic;
	uint32_t reserved;
} __attribute__((packed));

#define MP_PROCESSOR 0
#define MP_BUS	     1
#define MP_IOAPIC    2
#define MP_INTSRC    3
#define MP_LINTSRC   4

struct mpc_cpu {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag; /* 1 enabled, 2 bootstrap processor */
	uint32_t cpufeature;
	uint32_t featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;
	uint8_t busid;
	uint8_t bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type;
	uint8_t irqtype; /* 0 INT, 1 NMI, 2 SMI, 3 ExtINT */
	uint16_t irqflag;
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} __attribute__((packed));

_Static_assert(sizeof(struct mpf_intel) == 16, "mpf");
_Static_assert(sizeof(struct mpc_table) == 44, "mpc");
_Static_assert(sizeof(struct mpc_cpu) == 20, "mpc_cpu");
_Static_assert(sizeof(struct mpc_bus) == 8, "mpc_bus");
_Static_assert(sizeof(struct mpc_ioapic) == 8, "mpc_ioapic");
_Static_assert(sizeof(struct mpc_intsrc) == 8, "mpc_intsrc");

#endif
