/* image_redirect_url: every form of Location a server sends, made into
 * the URL the download goes to next; schemes other than http(s) and
 * malformed values refused with a reason. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "image_redirect.h"
#include "tap.h"

static void
check(const char *base, const char *loc, const char *want)
{
    char err[300] = "";
    char *got = image_redirect_url(base, loc, err, sizeof err);
    is_str(got ? got : err, want, "%s + %s", base, loc);
    free(got);
}

static void
refused(const char *base, const char *loc, const char *why)
{
    char err[300] = "";
    char *got = image_redirect_url(base, loc, err, sizeof err);
    ok(!got, "%s + %s refused", base, loc);
    like(err, why, "... saying so");
    free(got);
}

int
main(void)
{
    const char *b = "http://img.example:8080/a/b/pic.png?x=1";
    check(b, "https://cdn.example/p.png", "https://cdn.example/p.png");
    check(b, "HTTP://cdn.example/p.png", "HTTP://cdn.example/p.png");
    check(b, "//cdn.example/p.png", "http://cdn.example/p.png");
    check(b, "/other.png", "http://img.example:8080/other.png");
    check(b, "/other.png?size=2#frag",
          "http://img.example:8080/other.png?size=2");
    check(b, "c.png", "http://img.example:8080/a/b/c.png");
    check(b, "?y=2", "http://img.example:8080/a/b/?y=2");
    check("http://img.example", "c.png", "http://img.example/c.png");
    check("http://img.example/", "c.png", "http://img.example/c.png");
    check("https://[::1]:8443/x/y.png", "/z.png", "https://[::1]:8443/z.png");
    check("http://127.0.0.1/x", "http://127.0.0.2:81/y",
          "http://127.0.0.2:81/y");
    refused(b, "ftp://files.example/p.png", "scheme 'ftp' is not allowed");
    refused(b, "data:image/png;base64,AAAA", "scheme 'data' is not allowed");
    refused(b, "", "malformed");
    refused(b, "#only-a-fragment", "malformed");
    refused(b, "http://", "malformed");
    refused("not a url", "/x.png", "malformed");
    return done_testing();
}
