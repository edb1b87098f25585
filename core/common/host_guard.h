/* Ollama's DNS-rebinding guard (ollama-api.md §0). A page from any site
 * can have its name resolve to 127.0.0.1 or a LAN address and then talk
 * to a server there as if it were its own; it cannot make the browser
 * send a Host header other than its own name, so the Host header tells
 * such a request from a real client's. */
#ifndef HERD_COMMON_HOST_GUARD_H
#define HERD_COMMON_HOST_GUARD_H

/* Whether hosthdr (a Host header, "name[:port]" or "[v6]:port"; NULL or
 * empty passes) names this machine as only a real client would: an IP
 * literal that is loopback, private, unspecified or one of the machine's
 * own; localhost; the machine's host name; or a name under .localhost,
 * .local or .internal. */
int host_guard_trusted(const char *hosthdr);

/* Whether a listen address is a loopback one (127.0.0.0/8, ::1,
 * localhost): where Ollama applies the guard to every request. */
int host_guard_loopback_name(const char *listen);

#endif
