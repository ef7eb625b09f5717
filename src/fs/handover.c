/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lxcfs/handover.h"
#include "lxcfs/macro.h"

_Static_assert(sizeof(struct handover_header) <= HANDOVER_BACKING_OFFSET,
               "the backing table follows the checksummed header");
_Static_assert(HANDOVER_BACKING_OFFSET + HANDOVER_BACKING_MAX * sizeof(struct handover_backing) <=
               HANDOVER_HEADER_SIZE, "the backing table fits the header page");

static size_t state_size(uint32_t n_slots, uint32_t slot_size)
{
        return HANDOVER_HEADER_SIZE + (size_t) n_slots * slot_size;
}

static uint32_t fnv1a(const void *data, size_t len, uint32_t h)
{
        const uint8_t *p = data;

        for (size_t i = 0; i < len; i++) {
                h ^= p[i];
                h *= 16777619u;
        }
        return h;
}

static uint32_t header_checksum(const struct handover_header *h)
{
        struct handover_header copy = *h;

        copy.checksum = 0;
        return fnv1a(&copy, sizeof(copy), 2166136261u);
}

bool handover_header_valid(const struct handover_header *h)
{
        return memcmp(h->magic, HANDOVER_MAGIC, sizeof(HANDOVER_MAGIC)) == 0 &&
               h->version >= HANDOVER_VERSION_MIN && h->version <= HANDOVER_VERSION &&
               h->checksum == header_checksum(h) &&
               h->n_slots > 0 && h->n_slots <= HANDOVER_SLOTS &&
               h->slot_size >= 8192 && h->slot_size <= HANDOVER_SLOT_SIZE &&
               h->init_len <= HANDOVER_INIT_MAX;
}

void handover_state_seal(struct handover_state *s)
{
        s->hdr->checksum = header_checksum(s->hdr);
}

static int map_state(int fd, size_t size, struct handover_state *ret)
{
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

        if (p == MAP_FAILED)
                return -errno;
        *ret = (struct handover_state) {
                .fd = fd, .hdr = p, .slots = (uint8_t *) p + HANDOVER_HEADER_SIZE, .map_size = size,
        };
        return 0;
}

int handover_state_create(struct handover_state *ret)
{
        _cleanup_close_ int fd = memfd_create("lxcfs-handover", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        size_t size = state_size(HANDOVER_SLOTS, HANDOVER_SLOT_SIZE);
        int r;

        if (fd < 0)
                return -errno;
        if (ftruncate(fd, (off_t) size) < 0)
                return -errno;
        /* The size never changes: a later process maps what it expects. */
        (void) fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
        r = map_state(fd, size, ret);
        if (r < 0)
                return r;
        fd = -1;
        memcpy(ret->hdr->magic, HANDOVER_MAGIC, sizeof(HANDOVER_MAGIC));
        ret->hdr->version = HANDOVER_VERSION;
        ret->hdr->n_slots = HANDOVER_SLOTS;
        ret->hdr->slot_size = HANDOVER_SLOT_SIZE;
        ret->hdr->owner_pid = (uint32_t) getpid();
        handover_state_seal(ret);
        return 0;
}

int handover_state_open(int fd, struct handover_state *ret)
{
        struct handover_header h;
        struct stat st;
        ssize_t n;
        int r;

        n = pread(fd, &h, sizeof(h), 0);
        if (n < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        if ((size_t) n != sizeof(h) || !handover_header_valid(&h) || fstat(fd, &st) < 0 ||
            (size_t) st.st_size != state_size(h.n_slots, h.slot_size)) {
                close(fd);
                return -EBADMSG;
        }
        r = map_state(fd, (size_t) st.st_size, ret);
        if (r < 0)
                close(fd);
        return r;
}

void handover_state_close(struct handover_state *s)
{
        if (s->hdr)
                munmap(s->hdr, s->map_size);
        if (s->fd >= 0)
                close(s->fd);
        *s = (struct handover_state) { .fd = -1 };
}

static uint32_t *slot_len(const struct handover_state *s, unsigned i)
{
        return (uint32_t *) (void *) (handover_slot(s, i) + offsetof(struct fuse_in_header, len));
}

bool handover_slot_busy(const struct handover_state *s, unsigned i)
{
        return __atomic_load_n(slot_len(s, i), __ATOMIC_ACQUIRE) != 0;
}

void handover_slot_clear(const struct handover_state *s, unsigned i)
{
        __atomic_store_n(slot_len(s, i), 0, __ATOMIC_RELEASE);
}

unsigned handover_busy_slots(const struct handover_state *s)
{
        unsigned n = 0;

        for (unsigned i = 0; i < s->hdr->n_slots; i++)
                n += handover_slot_busy(s, i);
        return n;
}
