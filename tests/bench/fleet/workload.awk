# Workloads of the scheduling benchmark, as bench_load schedules
# ("OFFSET_MS TAG PATH BODY" per line, offsets in order). The same seed
# gives the same lines, so every policy sees the same requests.
#
#   awk -v kind=steady|burst|multiturn|switch|dies -v seed=N -v dur=S \
#       -v rate=R -f workload.awk
#
# steady     Poisson arrivals of mixed chat (3B, 8B, 32B, 70B) and embeddings
# burst      a quarter of the rate, plus five bursts of 3 x rate requests
# multiturn  conversations of six turns, each resending a long system prompt
#            and the turns so far (the prefix a prompt cache can reuse)
# switch     the traffic moves from small models to 32B, then to 70B
# dies       steady; run.sh kills a node half way through

function word(i) { return words[1 + int(rand() * nwords)] }
function text(n,   s, i) {
    s = word()
    for (i = 1; i < n; i++)
        s = s " " word()
    return s
}
function expo(r) { return -log(1 - rand()) / r }
# pick(cumulative table): the model of a mixed request
function pick(   x, i) {
    x = rand()
    for (i = 1; i <= nmix; i++)
        if (x < mixp[i])
            return mixm[i]
    return mixm[nmix]
}
function chat(t, model, prompt, tag,   n) {
    n = 16 + int(rand() * 80)
    emit(t, tag ":" model, "/api/chat",
         "{\"model\":\"" model "\",\"messages\":[{\"role\":\"user\"," \
         "\"content\":\"" prompt "\"}],\"options\":{\"num_predict\":" n "}}")
}
function embed(t, tag) {
    emit(t, tag ":embed", "/api/embed",
         "{\"model\":\"nomic-embed-text\",\"input\":\"" text(20 + int(rand() * 200)) "\"}")
}
function emit(t, tag, path, body) {
    nout++
    at[nout] = t
    line[nout] = tag " " path " " body
}
function mixed(t, tag,   m) {
    m = pick()
    if (m == "embed")
        embed(t, tag)
    else
        chat(t, m, text(10 + int(rand() * 300)), tag)
}
BEGIN {
    if (kind == "" || dur <= 0 || rate <= 0) {
        print "workload.awk: want -v kind=... -v dur=S -v rate=R" > "/dev/stderr"
        exit 2
    }
    srand(seed == "" ? 1 : seed)
    nwords = split("fleet node model token router memory queue latency " \
        "prompt cache stream answer request question summary detail " \
        "reason compare explain list write draft review code test build " \
        "deploy metric plot table system user data context window", words)
    nmix = split("llama3.2:3b llama3.1:8b qwen2.5:32b llama3.1:70b embed", mixm)
    split("0.35 0.65 0.80 0.85 1.0", mixp)

    if (kind == "steady" || kind == "dies") {
        for (t = expo(rate); t < dur; t += expo(rate))
            mixed(t, kind)
    } else if (kind == "burst") {
        for (t = expo(rate / 4); t < dur; t += expo(rate / 4))
            mixed(t, "base")
        for (b = 1; b <= 5; b++) {
            t0 = dur * (b - 0.5) / 5
            for (i = 0; i < 3 * rate; i++)
                mixed(t0 + rand() * 0.1, "burst")
        }
    } else if (kind == "multiturn") {
        # each conversation: its own long system prompt, six turns
        nconv = int(rate * dur / 6) + 1
        for (c = 1; c <= nconv; c++) {
            t = rand() * dur * 0.5
            model = rand() < 0.5 ? "llama3.1:8b" : "llama3.2:3b"
            sys = text(600)
            hist = ""
            for (turn = 1; turn <= 6 && t < dur; turn++) {
                q = text(10 + int(rand() * 40))
                msgs = "{\"role\":\"system\",\"content\":\"" sys "\"}" hist \
                    ",{\"role\":\"user\",\"content\":\"" q "\"}"
                emit(t, "conv:" model, "/api/chat",
                     "{\"model\":\"" model "\",\"messages\":[" msgs "]," \
                     "\"options\":{\"num_predict\":48}}")
                hist = hist ",{\"role\":\"user\",\"content\":\"" q "\"}" \
                    ",{\"role\":\"assistant\",\"content\":\"" text(40) "\"}"
                t += 1 + rand() * 3
            }
        }
    } else if (kind == "switch") {
        for (t = expo(rate); t < dur; t += expo(rate)) {
            if (t < dur / 3)
                m = rand() < 0.5 ? "llama3.2:3b" : "llama3.1:8b"
            else if (t < 2 * dur / 3)
                m = "qwen2.5:32b"
            else
                m = rand() < 0.7 ? "llama3.1:70b" : "llama3.2:3b"
            chat(t, m, text(10 + int(rand() * 200)), "switch")
        }
    } else {
        print "workload.awk: unknown kind " kind > "/dev/stderr"
        exit 2
    }
    # unsorted: run.sh sorts by offset (sort -s -g)
    for (i = 1; i <= nout; i++)
        printf "%.1f %s\n", at[i] * 1000, line[i]
}
