#ifndef QKDSPEC_SPAWN_H
#define QKDSPEC_SPAWN_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Starts `path` with `argv` and `envp` (both NULL-terminated) in a clean state, for the harness's
/// child processes (nodes, shims):
/// - the child is the leader of a process group of its own (so killing the group kills whatever
///   it starts in turn);
/// - every signal has its default disposition and none is blocked (the harness blocks and traps
///   SIGINT/SIGTERM; a child must not inherit that);
/// - on Linux it receives SIGKILL when the thread that started it ends (PR_SET_PDEATHSIG), so a
///   harness killed with SIGKILL leaves no orphan; callers start children from a thread that
///   lives as long as the process;
/// - its standard input, output and error are `stdin_fd`, `stdout_fd` and `stderr_fd`; every other
///   descriptor is closed.
/// Returns the child's pid, or -1 with errno set (also when exec failed: errno is exec's).
pid_t qkdspec_spawn(const char *path, char *const argv[], char *const envp[],
                    int stdin_fd, int stdout_fd, int stderr_fd);

/// pipe2(fds, O_CLOEXEC): a pipe no other child inherits (Swift does not see pipe2).
int qkdspec_pipe_cloexec(int fds[2]);

#ifdef __cplusplus
}
#endif

#endif
