/* x86 kernel loading, shared between the bzImage and ELF loaders. */
#ifndef HUSK_VM_X86_BOOT_H
#define HUSK_VM_X86_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "vm-sandbox/x86/bootproto.h"

struct vm;

/* The boot GDT: Linux's boot protocol wants __BOOT_CS 0x10 and __BOOT_DS 0x18. */
#define BOOT_GDT_CS	 0x10
#define BOOT_GDT_DS	 0x18
#define BOOT_GDT_TSS	 0x20
#define BOOT_GDT_ENTRIES 6 /* null, null, code, data, TSS (16 bytes) */

#define BOOT_HEAD_LEN 1024 /* what the format sniffers see of the file */

bool boot_is_elf(const uint8_t *head, size_t len);
bool boot_is_bzimage(const uint8_t *head, size_t len);
int boot_bzimage_load(struct vm *vm, int fd, uint64_t file_size, const uint8_t *head,
		      struct husk_err **err);
int boot_elf_load(struct vm *vm, int fd, uint64_t file_size, struct husk_err **err);

/* pread len bytes at off into guest [gpa, gpa+len); the range must be RAM. */
int boot_read_into_guest(struct vm *vm, int fd, uint64_t off, uint64_t gpa, uint64_t len,
			 struct husk_err **err);
/* The guest's memory map; returns the number of entries. */
unsigned boot_e820(const struct vm *vm, struct boot_e820_entry *out, unsigned max);
/* Where low RAM (below the 32-bit hole) ends. */
uint64_t boot_low_ram_end(const struct vm *vm);

int mptable_write(struct vm *vm, struct husk_err **err);

#endif
