// bpf(2) for the launch path: the map and program queries a launch makes,
// one system call each, with libbpf's low-level API's signatures and
// results (negative on failure, errno set).
//
// Why not libbpf's own: its archive is not built with function sections,
// so one call of bpf.o's keeps all of it, and bpf.o calls into libbpf.o,
// which keeps the whole object loader, libelf and zlib. That is about a
// fifth of the launcher's code, paged in and never run: the launcher
// loads no program (sockmark::ensure, via's alone, still does it with
// libbpf's skeleton).
#pragma once

#include <cstdint>

#include <linux/bpf.h>

namespace via::bpfsys {

int obj_get(const char* path);
int obj_pin(int fd, const char* path);
// A program's, a map's or a link's info; *len in, then what the kernel wrote.
int obj_get_info_by_fd(int fd, void* info, std::uint32_t* len);
int prog_get_fd_by_id(std::uint32_t id);
int map_get_fd_by_id(std::uint32_t id);

int map_lookup_elem(int fd, const void* key, void* value);
int map_update_elem(int fd, const void* key, const void* value, std::uint64_t flags);
int map_delete_elem(int fd, const void* key);
// key nullptr: the first key.
int map_get_next_key(int fd, const void* key, void* next_key);
// Up to *count entries after in_batch (nullptr: from the start); *count
// is then how many were read, also when it fails (ENOENT: the last batch).
int map_lookup_batch(int fd, void* in_batch, void* out_batch, void* keys, void* values, std::uint32_t* count);

// The ids of the programs attached at `type` of the cgroup `target_fd`;
// *count in, then how many the kernel has.
int prog_query(int target_fd, bpf_attach_type type, std::uint32_t* ids, std::uint32_t* count);

}  // namespace via::bpfsys
