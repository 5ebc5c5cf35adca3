#include "kernel/bpfsys.hpp"

#include <array>

#include <cstring>
#include <sys/syscall.h>
#include <unistd.h>

namespace via::bpfsys {
namespace {

// The kernel reads attributes up to the size given and wants the rest
// zero: each call's bpf_attr is zeroed whole (zeroed()), and its size given.
int call(bpf_cmd cmd, bpf_attr& attr) { return static_cast<int>(::syscall(SYS_bpf, cmd, &attr, sizeof attr)); }

std::uint64_t ptr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

bpf_attr zeroed() {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    return attr;
}

int elem(bpf_cmd cmd, int fd, const void* key, const void* value, std::uint64_t flags) {
    bpf_attr attr = zeroed();
    attr.map_fd = static_cast<std::uint32_t>(fd);
    attr.key = ptr(key);
    attr.value = ptr(value);  // next_key shares the field
    attr.flags = flags;
    return call(cmd, attr);
}

int by_id(bpf_cmd cmd, std::uint32_t id) {
    bpf_attr attr = zeroed();
    attr.prog_id = id;  // map_id shares the field
    return call(cmd, attr);
}

}  // namespace

int obj_get(const char* path) {
    bpf_attr attr = zeroed();
    attr.pathname = ptr(path);
    return call(BPF_OBJ_GET, attr);
}

int obj_pin(int fd, const char* path) {
    bpf_attr attr = zeroed();
    attr.pathname = ptr(path);
    attr.bpf_fd = static_cast<std::uint32_t>(fd);
    return call(BPF_OBJ_PIN, attr);
}

int obj_get_info_by_fd(int fd, void* info, std::uint32_t* len) {
    bpf_attr attr = zeroed();
    attr.info.bpf_fd = static_cast<std::uint32_t>(fd);
    attr.info.info_len = *len;
    attr.info.info = ptr(info);
    const int r = call(BPF_OBJ_GET_INFO_BY_FD, attr);
    if (r == 0) *len = attr.info.info_len;
    return r;
}

int prog_get_fd_by_id(std::uint32_t id) { return by_id(BPF_PROG_GET_FD_BY_ID, id); }
int map_get_fd_by_id(std::uint32_t id) { return by_id(BPF_MAP_GET_FD_BY_ID, id); }

int map_lookup_elem(int fd, const void* key, void* value) { return elem(BPF_MAP_LOOKUP_ELEM, fd, key, value, 0); }
int map_update_elem(int fd, const void* key, const void* value, std::uint64_t flags) {
    return elem(BPF_MAP_UPDATE_ELEM, fd, key, value, flags);
}
int map_delete_elem(int fd, const void* key) { return elem(BPF_MAP_DELETE_ELEM, fd, key, nullptr, 0); }
int map_get_next_key(int fd, const void* key, void* next_key) {
    return elem(BPF_MAP_GET_NEXT_KEY, fd, key, next_key, 0);
}

int map_lookup_batch(int fd, void* in_batch, void* out_batch, void* keys, void* values, std::uint32_t* count) {
    bpf_attr attr = zeroed();
    attr.batch.map_fd = static_cast<std::uint32_t>(fd);
    attr.batch.in_batch = ptr(in_batch);
    attr.batch.out_batch = ptr(out_batch);
    attr.batch.keys = ptr(keys);
    attr.batch.values = ptr(values);
    attr.batch.count = *count;
    const int r = call(BPF_MAP_LOOKUP_BATCH, attr);
    *count = attr.batch.count;
    return r;
}

int prog_query(int target_fd, bpf_attach_type type, std::uint32_t* ids, std::uint32_t* count) {
    bpf_attr attr = zeroed();
    attr.query.target_fd = static_cast<std::uint32_t>(target_fd);
    attr.query.attach_type = type;
    attr.query.prog_ids = ptr(ids);
    attr.query.prog_cnt = *count;
    // For LSM programs the kernel tells each one's flags too, and before
    // Linux 6.1 refuses (EINVAL) a query that has nowhere to put them.
    std::array<std::uint32_t, 64> flags{};
    if (type == BPF_LSM_CGROUP) {
        if (*count > flags.size()) attr.query.prog_cnt = static_cast<std::uint32_t>(flags.size());
        attr.query.prog_attach_flags = ptr(flags.data());
    }
    const int r = call(BPF_PROG_QUERY, attr);
    *count = attr.query.prog_cnt;
    return r;
}

}  // namespace via::bpfsys
