# Writes the demo page (first argument "html") or env.json ("json") from the
# environment and the image's labels (/opt/demo/labels). The other arguments
# are the names at the top of /workspace; -v workspace=true|false says whether
# it exists. busybox awk works on bytes, so UTF-8 passes through untouched.

function escape(s, table,    out, i, c) {
    out = ""
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        out = out ((c in table) ? table[c] : c)
    }
    return out
}
function html(s) { return escape(s, H) }
function str(s) { return "\"" escape(s, J) "\"" }
function env_html(name) { return (name in ENVIRON) ? html(ENVIRON[name]) : "(not set)" }
function env_json(name) { return (name in ENVIRON) ? str(ENVIRON[name]) : "null" }
function given(name) { return ENVIRON[name] != "" }

BEGIN {
    H["&"] = "&amp;"; H["<"] = "&lt;"; H[">"] = "&gt;"; H["\""] = "&quot;"; H["\047"] = "&#39;"
    J["\""] = "\\\""; J["\\"] = "\\\\"
    for (i = 1; i < 32; i++) {
        J[sprintf("%c", i)] = sprintf("\\u%04x", i)
        # HTML text may not hold control characters but tab, newline and return
        if (i != 9 && i != 10 && i != 13)
            H[sprintf("%c", i)] = "&#xFFFD;"
    }

    while ((getline line < "/opt/demo/labels") > 0)
        if (line !~ /^#/ && (i = index(line, "=")))
            label[substr(line, 1, i - 1)] = substr(line, i + 1)

    if (ARGV[1] == "json") json(); else page()
    exit
}

function json(    n, keys, i, list) {
    n = split("JPY_USER USER URL_ID JPY_BASE_USER_URL X11_WIDTH X11_HEIGHT X11_DEPTH STARTUPDATA", keys, " ")
    print "{"
    for (i = 1; i <= n; i++)
        printf "  \"%s\": %s,\n", keys[i], env_json(keys[i])
    printf "  \"APP_LICENSE_SET\": %s,\n", given("APP_LICENSE") ? "true" : "false"
    list = "null"
    if (workspace == "true") {
        list = ""
        for (i = 2; i < ARGC; i++)
            list = list (i > 2 ? ", " : "") str(ARGV[i])
        list = "[" list "]"
    }
    printf "  \"workspace\": %s\n}\n", list
}

function page(    title, i) {
    title = html(label["ui_name"])
    print "<!DOCTYPE html>"
    print "<html lang=\"en\">"
    print "<head>"
    print "<meta charset=\"utf-8\">"
    print "<title>" title "</title>"
    print "<style>body { font: 16px system-ui, sans-serif; margin: 2rem; color: #1f2937 }</style>"
    print "</head>"
    print "<body>"
    print "<h1><img src=\"icon.png\" alt=\"\" width=\"64\" height=\"64\"> " title "</h1>"
    print "<p>" html(label["description"]) "</p>"
    print "<ul>"
    print "<li>JPY_USER: " env_html("JPY_USER") "</li>"
    print "<li>USER: " env_html("USER") "</li>"
    print "<li>URL_ID: " env_html("URL_ID") "</li>"
    print "<li>JPY_BASE_USER_URL: " env_html("JPY_BASE_USER_URL") "</li>"
    print "<li>APP_LICENSE: " (given("APP_LICENSE") ? "set" : "not set") "</li>"
    if ("STARTUPDATA" in ENVIRON)
        print "<li>STARTUPDATA: " html(ENVIRON["STARTUPDATA"]) "</li>"
    print "</ul>"
    if (label["type"] == "vncapp") {
        if (given("X11_WIDTH") && given("X11_HEIGHT"))
            print "<p>Resolution: " html(ENVIRON["X11_WIDTH"] "x" ENVIRON["X11_HEIGHT"]) "</p>"
        else
            print "<p>Resolution: default</p>"
        print "<p>Depth: " (given("X11_DEPTH") ? html(ENVIRON["X11_DEPTH"]) : "default") "</p>"
    }
    print "<h2>Workspace</h2>"
    if (workspace != "true")
        print "<p>/workspace is not mounted.</p>"
    else if (ARGC <= 2)
        print "<p>/workspace is empty.</p>"
    else {
        print "<ul>"
        for (i = 2; i < ARGC; i++)
            print "<li>" html(ARGV[i]) "</li>"
        print "</ul>"
    }
    print "</body>"
    print "</html>"
}
