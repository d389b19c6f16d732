/*
 * Addresses in the config: "Listen [ADDR:]PORT" to a socket address with
 * its canonical text, and the CIDRs of StatusAllow with their matching.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "conf/parse.h"

#define PORT_MAX  65535
#define IPV4_BITS 32
#define IPV6_BITS 128

/* Fills L from a numeric address in network order and a port. */
void
conf_listen_fill(
    struct conf_listen *l, int family, const void *addr, unsigned port)
{
	char host[INET6_ADDRSTRLEN];
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(l, 0, sizeof(*l));
	inet_ntop(family, addr, host, sizeof(host));
	if (family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		memcpy(&sin.sin_addr, addr, sizeof(sin.sin_addr));
		memcpy(&l->addr, &sin, sizeof(sin));
		l->addrlen = sizeof(sin);
		snprintf(l->text, sizeof(l->text), "%s:%u", host, port);
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		memcpy(&sin6.sin6_addr, addr, sizeof(sin6.sin6_addr));
		memcpy(&l->addr, &sin6, sizeof(sin6));
		l->addrlen = sizeof(sin6);
		snprintf(l->text, sizeof(l->text), "[%s]:%u", host, port);
	}
}

/* Splits "PORT", "A.B.C.D:PORT" or "[V6]:PORT" into host and port text. */
static int
listen_split(struct conf_parser *p, const char *arg, char *host, size_t size,
    const char **port)
{
	const char *start = arg, *end;
	long long unused;

	if (conf_parse_number(arg, &unused) == 0) {
		snprintf(host, size, "0.0.0.0");
		*port = arg;
		return AF_INET;
	}
	if (arg[0] == '[') {
		start = arg + 1;
		if ((end = strchr(start, ']')) == NULL || end[1] != ':') {
			conf_errorf(
			    p, NULL, "Listen: '%s' is not [IPv6]:PORT", arg);
			return -1;
		}
		*port = end + 2;
	} else if ((end = strrchr(arg, ':')) != NULL)
		*port = end + 1;
	else
		end = arg + strlen(arg);
	snprintf(host, size, "%.*s", (int)(end - start), start);
	if (arg[0] != '[' && strchr(host, ':') != NULL) {
		conf_errorf(p, NULL,
		    "Listen: IPv6 address in '%s' needs brackets, as in [::1]:8080",
		    arg);
		return -1;
	}
	return arg[0] == '[' ? AF_INET6 : AF_INET;
}

int
conf_listen_parse(struct conf_parser *p, const char *arg, struct conf_listen *l)
{
	char host[CONF_LISTEN_TEXT_MAX];
	unsigned char addr[sizeof(struct in6_addr)];
	const char *port = NULL;
	long long n;
	int family;

	if ((family = listen_split(p, arg, host, sizeof(host), &port)) == -1)
		return -1;
	if (inet_pton(family, host, addr) != 1) {
		conf_errorf(
		    p, NULL, "Listen: '%s' is not a numeric address", host);
		return -1;
	}
	if (port == NULL || *port == '\0') {
		conf_errorf(p, NULL, "Listen: '%s' has no port number", arg);
		return -1;
	}
	if (conf_parse_number(port, &n) == -1) {
		conf_errorf(p, NULL, "Listen: port '%s' is not a number", port);
		return -1;
	}
	if (n < 1 || n > PORT_MAX) {
		conf_errorf(p, NULL,
		    "Listen: port '%s' is out of range (1..%d)", port,
		    PORT_MAX);
		return -1;
	}
	conf_listen_fill(l, family, addr, (unsigned)n);
	return 0;
}

static const struct {
	const char *name;
	unsigned flag;
} listen_options[] = {
	{ "http", 0 },
	{ "https", CONF_LISTEN_HTTPS },
	{ "proxy", CONF_LISTEN_PROXY },
};

int
conf_listen_options(
    struct conf_parser *p, int argc, char **argv, struct conf_listen *l)
{
	size_t k;
	int i;

	for (i = 0; i < argc; i++) {
		for (k = 0;
		     k < sizeof(listen_options) / sizeof(listen_options[0]);
		     k++)
			if (strcasecmp(argv[i], listen_options[k].name) == 0)
				break;
		if (k == sizeof(listen_options) / sizeof(listen_options[0])) {
			conf_errorf(p, NULL,
			    "Listen: unknown option '%s' (http, https, proxy)",
			    argv[i]);
			return -1;
		}
		l->flags |= listen_options[k].flag;
	}
	return 0;
}

void
conf_listen_text(const struct conf_listen *l, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s%s%s", l->text,
	    (l->flags & CONF_LISTEN_HTTPS) ? " https" : "",
	    (l->flags & CONF_LISTEN_PROXY) ? " proxy" : "");
}

static void
cidr_mask(struct conf_cidr *c)
{
	size_t i;
	unsigned bits;

	for (i = 0; i < sizeof(c->addr); i++) {
		bits = c->prefix > i * 8 ? c->prefix - (unsigned)i * 8 : 0;
		if (bits < 8)
			c->addr[i] &= (uint8_t)(0xff00u >> bits);
	}
}

/* "ADDR" (a host) or "ADDR/PREFIX"; bits below the prefix are cleared. */
int
conf_cidr_parse(const char *s, struct conf_cidr *c)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned bits;
	long long prefix;

	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = AF_INET;
		bits = IPV4_BITS;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = AF_INET6;
		bits = IPV6_BITS;
	} else
		return -1;
	if (slash == NULL)
		prefix = bits;
	else if (conf_parse_number(slash + 1, &prefix) == -1 || prefix > bits)
		return -1;
	c->prefix = (unsigned)prefix;
	cidr_mask(c);
	return 0;
}

static bool
prefix_match(const uint8_t *net, const uint8_t *addr, unsigned prefix)
{
	unsigned whole = prefix / 8, rest = prefix % 8;
	uint8_t mask = (uint8_t)(0xff00u >> rest);

	if (memcmp(net, addr, whole) != 0)
		return false;
	return rest == 0 || (net[whole] & mask) == (addr[whole] & mask);
}

bool
conf_cidr_match(
    const struct conf_cidr *cidrs, size_t n, const struct sockaddr *addr)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const uint8_t *v4 = NULL, *v6 = NULL;
	size_t i;

	if (addr->sa_family == AF_INET) {
		memcpy(&sin, addr, sizeof(sin));
		v4 = (const uint8_t *)&sin.sin_addr;
	} else if (addr->sa_family == AF_INET6) {
		memcpy(&sin6, addr, sizeof(sin6));
		v6 = sin6.sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr))
			v4 = v6 + sizeof(struct in6_addr) -
			     sizeof(struct in_addr);
	}
	for (i = 0; i < n; i++) {
		if (cidrs[i].family == AF_INET && v4 != NULL &&
		    prefix_match(cidrs[i].addr, v4, cidrs[i].prefix))
			return true;
		if (cidrs[i].family == AF_INET6 && v6 != NULL &&
		    prefix_match(cidrs[i].addr, v6, cidrs[i].prefix))
			return true;
	}
	return false;
}
