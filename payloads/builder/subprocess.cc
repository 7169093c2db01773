#include "subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build_error.h"

extern char** environ;

namespace livepatch::build {

std::string command_line(const std::vector<std::string>& argv) {
    std::string s;
    for (const std::string& a : argv) {
        const bool quote = a.empty() || a.find_first_of(" \t\"'#$\\") != std::string::npos;
        s += (s.empty() ? "" : " ") + (quote ? "'" + a + "'" : a);
    }
    return s;
}

CommandResult run_command(const std::vector<std::string>& argv, bool echo) {
    CommandResult r;
    if (echo) {
        printf("  %s\n", command_line(argv).c_str());
        fflush(stdout);
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        r.output = std::string("pipe: ") + strerror(errno);
        return r;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    std::vector<char*> args;
    for (const std::string& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        r.output = "cannot run " + argv[0] + ": " + strerror(rc);
        return r;
    }
    char buf[4096];
    for (;;) {
        const ssize_t n = read(fds[0], buf, sizeof(buf));
        if (n > 0)
            r.output.append(buf, static_cast<size_t>(n));
        else if (n == 0 || errno != EINTR)
            break;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

std::string run_checked(const std::vector<std::string>& argv, bool echo, const std::string& what) {
    CommandResult r = run_command(argv, echo);
    if (r.status != 0) {
        std::string out = r.output;
        while (!out.empty() && out.back() == '\n')
            out.pop_back();
        throw BuildError(what + ": `" + command_line(argv) + "` failed" + (out.empty() ? "" : ":\n" + out));
    }
    return r.output;
}

}  // namespace livepatch::build
