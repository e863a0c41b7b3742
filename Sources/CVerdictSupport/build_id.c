#if defined(__linux__)
#define _GNU_SOURCE
#endif
#include "verdict_support.h"

#if defined(__linux__)
#include <link.h>
#include <string.h>

struct build_id_search {
    unsigned char *out;
    size_t capacity;
    size_t length;
};

// The first loaded object is the executable itself: its PT_NOTE segments
// hold the GNU build ID the linker wrote (`--build-id`).
static int find_build_id(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct build_id_search *search = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE) continue;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *note = (const ElfW(Nhdr) *)p;
            size_t name_size = (note->n_namesz + 3) & ~(size_t)3;
            size_t desc_size = (note->n_descsz + 3) & ~(size_t)3;
            const unsigned char *name = p + sizeof(ElfW(Nhdr));
            const unsigned char *desc = name + name_size;
            if (desc + desc_size > end) break;
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                size_t n = note->n_descsz < search->capacity ? note->n_descsz : search->capacity;
                memcpy(search->out, desc, n);
                search->length = n;
                return 1;
            }
            p = desc + desc_size;
        }
    }
    return 1;  // only the executable
}

size_t verdict_build_id(unsigned char *out, size_t capacity) {
    struct build_id_search search = {out, capacity, 0};
    dl_iterate_phdr(find_build_id, &search);
    return search.length;
}
#else
size_t verdict_build_id(unsigned char *out, size_t capacity) {
    (void)out;
    (void)capacity;
    return 0;
}
#endif
