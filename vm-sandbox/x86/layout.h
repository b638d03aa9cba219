/* Where husk puts things in guest-physical memory on x86.  The low megabyte
 * follows what PC firmware leaves behind, so Linux and the test guests find
 * the MP table where they scan for it.  Freestanding: guests include it. */
#ifndef HUSK_VM_X86_LAYOUT_H
#define HUSK_VM_X86_LAYOUT_H

#define LAYOUT_GDT	   0x500ull
#define LAYOUT_IDT	   0x540ull
#define LAYOUT_PVH_INFO	   0x6000ull /* start_info, modlist, memmap: one page */
#define LAYOUT_ZERO_PAGE   0x7000ull
#define LAYOUT_PML4	   0x9000ull
#define LAYOUT_PDPT	   0xa000ull
#define LAYOUT_PD	   0xb000ull /* 4 pages: identity map of 4 GiB with 2 MiB pages */
#define LAYOUT_CMDLINE	   0x20000ull
#define LAYOUT_CMDLINE_MAX 0x1000ull  /* bytes including the NUL */
#define LAYOUT_EBDA	   0x9fc00ull /* reserved from here to 1 MiB */
#define LAYOUT_MPTABLE	   0xf0000ull /* in the BIOS area Linux scans */
#define LAYOUT_HIGH_START  0x100000ull
#define LAYOUT_KERNEL	   0x100000ull
#define LAYOUT_HOLE_START  0xc0000000ull /* 32-bit MMIO hole up to 4 GiB */
#define LAYOUT_HOLE_END	   0x100000000ull
#define LAYOUT_MMIO_BASE   0xd0000000ull /* virtio-mmio windows */
#define LAYOUT_MMIO_STRIDE 0x1000ull
#define LAYOUT_MMIO_MAX	   32
#define LAYOUT_IRQ_FIRST   5 /* GSIs for virtio-mmio; 4 is the UART */
#define LAYOUT_IOAPIC	   0xfec00000ull
#define LAYOUT_LAPIC	   0xfee00000ull
#define LAYOUT_TSS	   0xfffbd000ull /* KVM_SET_TSS_ADDR: 3 pages, in the hole */
#define LAYOUT_IDENTITY	   0xfffbc000ull /* KVM_SET_IDENTITY_MAP_ADDR: 1 page */

#define SERIAL_PORT 0x3f8
#define SERIAL_IRQ  4
#define I8042_DATA  0x60
#define I8042_CMD   0x64

#endif
