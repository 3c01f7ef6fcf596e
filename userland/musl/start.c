/* The start of the static x86_64 device build of ibox, in place of musl's
   rcrt1.o: the same self-relocation, plus DT_RELR.

   A static PIE relocates itself before anything else runs.  musl's start
   file applies Elf64_Rela entries only (DT_RELR arrived in musl 1.2.4;
   Debian 12 has 1.2.3), and ibox's 3 000 to 8 000 relative relocations
   take 24 bytes each as Rela, 65 to 200 KB of the file, against a few KB
   packed as DT_RELR (`-z pack-relative-relocs`, userland/build.rs).  So
   this file applies both and then hands over to musl exactly as rcrt1.o
   does.

   Until the relocations are applied nothing here may use an absolute
   address, call into the C library or touch thread-local storage (so no
   stack protector): it only reads the stack, the auxiliary vector and the
   dynamic section, all found relative to the program counter or the
   stack.  It includes no header, so the system's compiler builds it. */

typedef unsigned long word;

#define DT_NULL 0
#define DT_RELA 7
#define DT_RELASZ 8
#define DT_RELR 36
#define DT_RELRSZ 35
#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define PT_DYNAMIC 2
#define PT_GNU_RELRO 0x6474e552
#define SYS_mprotect 10
#define PROT_READ 1
#define R_X86_64_RELATIVE 8

struct phdr {
	unsigned int type, flags;
	word offset, vaddr, paddr, filesz, memsz, align;
};

int main(int, char **, char **);
void _init(void) __attribute__((weak));
void _fini(void) __attribute__((weak));
int __libc_start_main(int (*)(int, char **, char **), int, char **,
		      void (*)(void), void (*)(void), void (*)(void));

/* The kernel enters with the stack holding argc, argv, envp and auxv; the
   C part gets that stack and the run-time address of the dynamic section,
   with the stack aligned as the ABI wants for a call. */
__asm__(".text\n"
	".global _start\n"
	".type _start,@function\n"
	"_start:\n"
	"	xor %rbp,%rbp\n"
	"	mov %rsp,%rdi\n"
	".weak _DYNAMIC\n"
	".hidden _DYNAMIC\n"
	"	lea _DYNAMIC(%rip),%rsi\n"
	"	andq $-16,%rsp\n"
	"	call ibex_start_c\n"
	"	hlt\n");

/* mprotect(2) without the C library, which is not set up yet. */
static long mprotect_raw(word start, word len, word prot)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"((long)SYS_mprotect), "D"(start), "S"(len), "d"(prot)
			 : "rcx", "r11", "memory");
	return ret;
}

__attribute__((used, visibility("hidden"), noreturn))
void ibex_start_c(word *sp, word *dynamic)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	word *auxv = sp + 1 + argc + 1;
	while (*auxv)
		auxv++;
	auxv++;

	/* Load address: where the dynamic section is, less where the
	   program headers say it was linked. */
	const struct phdr *ph = 0;
	word phent = sizeof(struct phdr), phnum = 0, pagesz = 4096;
	for (word *a = auxv; a[0] != AT_NULL; a += 2) {
		if (a[0] == AT_PHDR)
			ph = (const struct phdr *)a[1];
		else if (a[0] == AT_PHENT)
			phent = a[1];
		else if (a[0] == AT_PHNUM)
			phnum = a[1];
		else if (a[0] == AT_PAGESZ)
			pagesz = a[1];
	}
	word base = 0;
	for (word i = 0; ph && i < phnum; i++) {
		const struct phdr *p =
			(const struct phdr *)((const char *)ph + i * phent);
		if (p->type == PT_DYNAMIC)
			base = (word)dynamic - p->vaddr;
	}

	word rela = 0, relasz = 0, relr = 0, relrsz = 0;
	for (word *d = dynamic; d[0] != DT_NULL; d += 2) {
		switch (d[0]) {
		case DT_RELA: rela = d[1]; break;
		case DT_RELASZ: relasz = d[1]; break;
		case DT_RELR: relr = d[1]; break;
		case DT_RELRSZ: relrsz = d[1]; break;
		}
	}

	/* Elf64_Rela: offset, info, addend.  A static PIE has relative
	   relocations only; anything else means a broken link. */
	for (word *r = (word *)(base + rela), *end = (word *)(base + rela + relasz);
	     rela && r < end; r += 3) {
		if ((r[1] & 0xffffffff) != R_X86_64_RELATIVE)
			__builtin_trap();
		*(word *)(base + r[0]) = base + r[2];
	}

	/* DT_RELR: an even entry is the address of a word to relocate; an
	   odd one is a bitmap of the 63 words after the last address. */
	word *where = 0;
	for (word *r = (word *)(base + relr), *end = (word *)(base + relr + relrsz);
	     relr && r < end; r++) {
		word entry = *r;
		if (!(entry & 1)) {
			where = (word *)(base + entry);
			*where++ += base;
		} else {
			for (word *w = where; (entry >>= 1) != 0; w++)
				if (entry & 1)
					*w += base;
			where += 63;
		}
	}

	/* RELRO: from its first page to the last page it fills (the linker
	   pads it to a page), read-only from now on.  A failure leaves it
	   writable, as before; there is nothing to report it with yet. */
	for (word i = 0; ph && i < phnum; i++) {
		const struct phdr *p =
			(const struct phdr *)((const char *)ph + i * phent);
		if (p->type != PT_GNU_RELRO)
			continue;
		word start = (base + p->vaddr) & -pagesz;
		word end = (base + p->vaddr + p->memsz) & -pagesz;
		if (end > start)
			mprotect_raw(start, end - start, PROT_READ);
	}

	__libc_start_main(main, argc, argv, _init, _fini, 0);
	__builtin_unreachable();
}
