/* An exec-only launcher for bench/run's floor: what one more process in
 * front of the program costs before it does any work. Asserts nothing.
 *
 *   shim PROGRAM [ARG...]
 *
 * Built three ways: against glibc, dynamic (as via is) and static; and
 * with -DNO_LIBC -nostdlib -static, with no libc at all, so that glibc's
 * own start-up (the dynamic loader, and the CPU feature and cache probing
 * every glibc program does before main) is gone too.
 */
#ifndef NO_LIBC
#include <unistd.h>

int main(int argc, char **argv, char **envp) {
    if (argc < 2) return 125;
    execve(argv[1], argv + 1, envp);
    return 127;
}
#else
#include <sys/syscall.h>

#if defined(__x86_64__)
static long sys3(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call start\n");
#elif defined(__aarch64__)
static long sys3(long n, long a, long b, long c) {
    register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b, x2 __asm__("x2") = c;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}
__asm__(".globl _start\n_start:\n mov x0, sp\n bl start\n");
#else
#error "shim: no entry point for this architecture without libc"
#endif

/* The kernel's initial stack: argc, argv..., NULL, envp..., NULL. */
__attribute__((noreturn, used)) void start(long *sp) {
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    if (argc >= 2) sys3(SYS_execve, (long)argv[1], (long)(argv + 1), (long)(argv + argc + 1));
    for (;;) sys3(SYS_exit, argc >= 2 ? 127 : 125, 0, 0);
}
#endif
