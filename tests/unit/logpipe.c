/* The access-log pipe of check_conn and check_accesslog. */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include "tests/unit/ck.h"
#include "tests/unit/logpipe.h"

void
logpipe_open(struct logpipe *lp)
{
	int p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	lp->rd = p[0];
	atomic_store(&lp->fd, p[1]);
}

void
logpipe_close(struct logpipe *lp)
{
	close(lp->rd);
	close(atomic_exchange(&lp->fd, -1));
	lp->rd = -1;
}

size_t
logpipe_read(const struct logpipe *lp, char *out, size_t outsz)
{
	ssize_t n = read(lp->rd, out, outsz - 1);

	out[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}
