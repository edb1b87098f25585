/* cors_origin: Ollama's built-in origins, OLLAMA_ORIGINS-style patterns
 * (one '*' each, or '*' alone) and the check of a configured list. */
#include "autoconfig.h"

#include <errno.h>
#include <string.h>

#include "common/cors_origin.h"
#include "tap.h"

int
main(void)
{
    static const char *const builtin_yes[] = {
        "http://localhost",
        "http://localhost:3000",
        "https://127.0.0.1:8443",
        "http://0.0.0.0:80",
        "HTTP://LocalHost:5173",
        "app://desktop",
        "file://",
        "tauri://localhost",
        "vscode-webview://abc123",
        "vscode-file://vscode-app",
    };
    static const char *const builtin_no[] = {
        "https://evil.example",
        "http://localhost.evil.example",
        "http://localhostevil",
        "http://127.0.0.1.nip.io",
        "http://localhost:",
        "http://localhost:80x",
        "http://localhost/path",
        "null",
        "ftp://localhost",
        "chrome-extension://abcdef",
        "",
    };
    for (size_t i = 0; i < sizeof builtin_yes / sizeof *builtin_yes; i++)
        ok(cors_origin_builtin(builtin_yes[i]), "built in: %s", builtin_yes[i]);
    for (size_t i = 0; i < sizeof builtin_no / sizeof *builtin_no; i++)
        ok(!cors_origin_builtin(builtin_no[i]), "not built in: '%s'",
           builtin_no[i]);

    const char *list = " https://app.example.com ,https://*.corp.example,, "
                       "chrome-extension://abcdef,http://lab.lan:*";
    ok(cors_origin_listed(list, "https://app.example.com"), "exact entry");
    ok(cors_origin_listed(list, "HTTPS://APP.EXAMPLE.COM"), "any case");
    ok(!cors_origin_listed(list, "https://app.example.com:8443"),
       "an exact entry names its port");
    ok(!cors_origin_listed(list, "http://app.example.com"),
       "an exact entry names its scheme");
    ok(cors_origin_listed(list, "https://a.corp.example"), "*.corp.example");
    ok(cors_origin_listed(list, "https://a.b.corp.example"),
       "* covers several labels");
    ok(!cors_origin_listed(list, "https://corp.example"),
       "*. needs a label before the domain");
    ok(!cors_origin_listed(list, "https://a.corp.example.evil.com"),
       "the part after * must end the origin");
    ok(!cors_origin_listed(list, "https://evilcorp.example"),
       "the dot before the domain is part of the pattern");
    ok(cors_origin_listed(list, "chrome-extension://abcdef"),
       "an extension named in the list");
    ok(cors_origin_listed(list, "http://lab.lan:8080"), "any port");
    ok(!cors_origin_listed(list, "http://lab.lan"), "host:* needs a port");
    ok(!cors_origin_listed(list, ""), "empty origin");
    ok(!cors_origin_listed(NULL, "https://app.example.com"), "no list");
    ok(!cors_origin_listed("", "https://app.example.com"), "empty list");
    ok(!cors_origin_list_any(list), "no * alone in the list");
    ok(cors_origin_list_any("https://a.example, *"), "* alone: any origin");
    ok(cors_origin_listed("*", "https://whatever.example"), "* matches all");
    ok(!cors_origin_list_any(NULL), "no list: not any");

    char err[256];
    static const char *const good[] = {
        "*",
        "https://a.example",
        "https://*.a.example, http://b.lan:*",
        "app://*",
        "",
        " , ",
        "x-custom+1.0://thing",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        is_int(cors_origin_list_check(good[i], err, sizeof err), 0,
               "valid list '%s'", good[i]);
    static const char *const bad[] = {
        "example.com",
        "https://a.example, voov.ai",
        "https://*.*.example",
        "https://a b.example",
        "://nothing",
        "1http://a.example",
        "https://a.example\x7f",
        "**",
        "http://",
        "https:/a.example",
        "https://a.example/",
        "https://a.example/app",
        "https://a.example?x=1",
        "https://u@a.example",
        "https://a.example#top",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        is_int(cors_origin_list_check(bad[i], err, sizeof err), -EINVAL,
               "invalid list '%s'", bad[i]);
        like(err, "is not an origin", "  says why");
    }
    cors_origin_list_check("https://ok.example, bad.example", err, sizeof err);
    like(err, "'bad.example'", "the error names the bad entry alone");
    return done_testing();
}
