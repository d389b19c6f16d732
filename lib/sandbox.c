/* seccomp filters for the key process and for workers: see sandbox.h. */
#include "config.h"

#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/sched.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/sandbox.h"

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZED 1
#endif
#endif

#define NR_ARG    offsetof(struct seccomp_data, nr)
#define ARCH_ARG  offsetof(struct seccomp_data, arch)
#define FLAGS_ARG offsetof(struct seccomp_data, args[0]) /* clone's; LE */
#define X32_BIT   0x40000000u /* x86_64's x32 calls: never ours */
#define CLONE_NEW_ANY                                                  \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
	    CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
#define FILTER_MAX       256 /* instructions */
#define SANDBOX_TEXT_MAX 160

/* What signing for workers takes, once the keys are in (keys/main.c). */
static const int keys_allowed[] = { SYS_read, SYS_write, SYS_writev, SYS_close,
	SYS_recvmsg, SYS_sendmsg, SYS_recvfrom, SYS_sendto, SYS_epoll_ctl,
	SYS_epoll_pwait,
#ifdef SYS_epoll_wait
	SYS_epoll_wait,
#endif
	SYS_brk, SYS_mmap, SYS_munmap, SYS_mremap, SYS_madvise, SYS_mprotect,
	SYS_futex, SYS_clock_gettime, SYS_gettimeofday, SYS_getrandom,
	SYS_getpid, SYS_gettid, SYS_rt_sigreturn, SYS_rt_sigprocmask,
	SYS_restart_syscall, SYS_sched_yield, SYS_exit, SYS_exit_group,
	SYS_sigaltstack /* a sanitizer's _exit() takes its stack down */ };

/* What no worker has any business calling. */
static const int worker_denied[] = {
#ifndef SANDBOX_SANITIZED
	SYS_ptrace, SYS_kill, /* the leak check's, in a sanitizer build */
#endif
	SYS_pidfd_open, SYS_pidfd_send_signal, SYS_rt_sigqueueinfo,
	SYS_rt_tgsigqueueinfo, SYS_process_vm_readv, SYS_process_vm_writev,
	SYS_pidfd_getfd, SYS_execve, SYS_execveat, SYS_io_uring_setup,
	SYS_io_uring_enter, SYS_io_uring_register, SYS_bpf, SYS_perf_event_open,
	SYS_keyctl, SYS_add_key, SYS_request_key, SYS_mount, SYS_umount2,
	SYS_unshare, SYS_setns, SYS_userfaultfd, SYS_pivot_root, SYS_chroot,
	SYS_open_by_handle_at, SYS_name_to_handle_at, SYS_fsopen, SYS_fsmount,
	SYS_fsconfig, SYS_fspick, SYS_move_mount, SYS_open_tree,
	SYS_init_module, SYS_finit_module, SYS_delete_module, SYS_kexec_load,
	SYS_kexec_file_load, SYS_swapon, SYS_swapoff, SYS_reboot, SYS_acct,
	SYS_quotactl
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct filter {
	struct sock_filter ins[FILTER_MAX];
	unsigned short n;
};

static void
emit(struct filter *f, struct sock_filter ins)
{
	if (f->n < FILTER_MAX)
		f->ins[f->n] = ins;
	f->n++; /* past FILTER_MAX: refused at install */
}

#define STMT(f, code, k) emit((f), (struct sock_filter)BPF_STMT((code), (k)))
#define JUMP(f, code, k, jt, jf) \
	emit((f), (struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))

#ifdef SANDBOX_ARCH
/* Another ABI could name the same calls by other numbers: it dies. */
static void
emit_arch_check(struct filter *f)
{
	STMT(f, BPF_LD | BPF_W | BPF_ABS, ARCH_ARG);
	JUMP(f, BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0);
	STMT(f, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	STMT(f, BPF_LD | BPF_W | BPF_ABS, NR_ARG);
	JUMP(f, BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 0, 1);
	STMT(f, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
}

/* NR gets ACTION; the accumulator holds the call's number after. */
static void
emit_call(struct filter *f, int nr, unsigned action)
{
	JUMP(f, BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1);
	STMT(f, BPF_RET | BPF_K, action);
}

/* clone() making a namespace dies; other clones go on. */
static void
emit_clone_check(struct filter *f)
{
	JUMP(f, BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4);
	STMT(f, BPF_LD | BPF_W | BPF_ABS, FLAGS_ARG);
	JUMP(f, BPF_JMP | BPF_JSET | BPF_K, CLONE_NEW_ANY, 0, 1);
	STMT(f, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	STMT(f, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
}

static int
install(struct filter *f)
{
	struct sock_fprog prog = { .len = f->n, .filter = f->ins };

	if (f->n > FILTER_MAX) {
		errno = E2BIG;
		return -1;
	}
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}
#endif

int
sandbox_keys(void)
{
#ifdef SANDBOX_ARCH
	struct filter f = { .n = 0 };
	size_t i;

	emit_arch_check(&f);
	for (i = 0; i < NELEM(keys_allowed); i++)
		emit_call(&f, keys_allowed[i], SECCOMP_RET_ALLOW);
	STMT(&f, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	return install(&f);
#else
	errno = ENOSYS;
	return -1;
#endif
}

int
sandbox_worker(void)
{
#ifdef SANDBOX_ARCH
	struct filter f = { .n = 0 };
	size_t i;

	emit_arch_check(&f);
	for (i = 0; i < NELEM(worker_denied); i++)
		emit_call(&f, worker_denied[i], SECCOMP_RET_KILL_PROCESS);
	emit_call(&f, SYS_clone3, SECCOMP_RET_ERRNO | ENOSYS);
	emit_clone_check(&f);
	STMT(&f, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return install(&f);
#else
	errno = ENOSYS;
	return -1;
#endif
}

bool
sandbox_available(void)
{
#ifdef SANDBOX_ARCH
	return true;
#else
	return false;
#endif
}

size_t
sandbox_keys_allowed(void)
{
	return NELEM(keys_allowed);
}

size_t
sandbox_worker_denied(void)
{
	return NELEM(worker_denied);
}

bool
sandbox_sanitizer_build(void)
{
#ifdef SANDBOX_SANITIZED
	return true;
#else
	return false;
#endif
}

const char *
sandbox_describe(void)
{
	static char text[SANDBOX_TEXT_MAX];

	if (!sandbox_available())
		return "none (this architecture has no filter here)";
	snprintf(text, sizeof(text),
	    "workers deny %zu calls and new namespaces%s; key processes allow %zu calls; either is killed on a violation",
	    sandbox_worker_denied(),
	    sandbox_sanitizer_build() ? " (ptrace allowed: sanitizer build)"
				      : "",
	    sandbox_keys_allowed());
	return text;
}
