/* OpenAI request bodies -> native ones: every mapping checked against the
 * exact native JSON, every refusal against its message, and wrong types
 * everywhere must give an error, never a crash or a leak. */
#include "autoconfig.h"

#include "openai_request.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Test JSON is written with ' for " to stay readable. */
static char *
dq(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    return s;
}

/* The native JSON for an OpenAI body, or "error: <message>". */
static const char *
conv(enum proxy_api api, const char *text)
{
    static char out[4096];
    char *body_text = dq(text), err[256] = "";
    json_object *body = json_tokener_parse(body_text);
    if (!body) {
        snprintf(out, sizeof out, "test body does not parse: %s", text);
        free(body_text);
        return out;
    }
    json_object *native = openai_request_to_native(body, api, err, sizeof err);
    if (native)
        snprintf(out, sizeof out, "%s",
                 json_object_to_json_string_ext(
                     native,
                     JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    else
        snprintf(out, sizeof out, "error: %s", err);
    json_object_put(native);
    json_object_put(body);
    free(body_text);
    return out;
}

#define CHAT PROXY_API_OAI_CHAT
#define COMPLETIONS PROXY_API_OAI_COMPLETIONS
#define EMBEDDINGS PROXY_API_OAI_EMBEDDINGS

/* conv's result equals want (also written with ' for "). */
#define converts(api, body, want, ...)                                         \
    do {                                                                       \
        char *want_ = dq(want);                                                \
        is_str(conv(api, body), want_, __VA_ARGS__);                           \
        free(want_);                                                           \
    } while (0)

#define USER "'messages':[{'role':'user','content':'hi'}]"
#define USER_NATIVE "'messages':[{'role':'user','content':'hi'}]"

static void
test_apis(void)
{
    is_int(openai_native_api(PROXY_API_OAI_CHAT), PROXY_API_CHAT,
           "chat completions are served by /api/chat");
    is_int(openai_native_api(PROXY_API_OAI_COMPLETIONS), PROXY_API_GENERATE,
           "completions by /api/generate");
    is_int(openai_native_api(PROXY_API_OAI_EMBEDDINGS), PROXY_API_EMBED,
           "embeddings by /api/embed");
    is_int(openai_native_api(PROXY_API_EMBEDDINGS), PROXY_API_EMBEDDINGS,
           "a native API stays itself");
    like(conv(PROXY_API_CHAT, "{'model':'m'}"), "error: not an OpenAI API",
         "a native API is not converted");
    like(conv(CHAT, "[1]"), "error: request body must be a JSON object",
         "a body that is not an object");
}

static void
test_chat_basics(void)
{
    converts(CHAT, "{'model':'m'," USER "}",
             "{'model':'m'," USER_NATIVE ",'stream':false}",
             "plain chat: stream written as false (OpenAI's default)");
    converts(CHAT,
             "{'model':'m'," USER ",'stream':true,'user':'u',"
             "'fallback_models':['x'],'metadata':{'tags':['a']},'n':1,"
             "'logit_bias':{},'parallel_tool_calls':true,"
             "'stream_options':{'include_usage':true}}",
             "{'model':'m'," USER_NATIVE ",'stream':true}",
             "stream true kept; router extras and OpenAI-only fields left out");
    converts(CHAT,
             "{'model':'m','messages':[{'role':'developer','content':'be "
             "brief'},{'role':'system','content':'s','name':'x'}]}",
             "{'model':'m','messages':[{'role':'system','content':'be brief'},"
             "{'role':'system','content':'s'}],'stream':false}",
             "developer becomes system; other roles are kept");
    converts(CHAT,
             "{'model':'m','messages':[{'role':'Developer','content':'d'},{"
             "'role':'Assistant','content':null}]}",
             "{'model':'m','messages':[{'role':'system','content':'d'},{"
             "'role':'Assistant','content':''}],'stream':false}",
             "roles compare without case, as Ollama lowercases them");
    converts(CHAT,
             "{'model':'m','messages':[{'role':'assistant','content':'a',"
             "'reasoning':'r1'},{'role':'assistant','content':'b',"
             "'reasoning_content':'r2'}]}",
             "{'model':'m','messages':[{'role':'assistant','content':'a',"
             "'thinking':'r1'},{'role':'assistant','content':'b','thinking':"
             "'r2'}],'stream':false}",
             "reasoning and reasoning_content become thinking");
    like(conv(CHAT, "{'model':'m'}"),
         "error: messages: expected a non-empty array", "messages missing");
    like(conv(CHAT, "{'model':'m','messages':[]}"),
         "error: messages: expected a non-empty array", "messages empty");
    like(conv(CHAT, "{'model':'m','messages':{}}"),
         "error: messages: expected a non-empty array",
         "messages not an array");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'user','content':'a'},"
                    "'hi']}"),
         "error: messages[1]: expected an object", "a message not an object");
    like(conv(CHAT, "{'model':'m','messages':[{'content':'a'}]}"),
         "error: messages[0].role: expected a string", "role missing");
    like(conv(CHAT, "{'model':'m','messages':[{'role':7,'content':'a'}]}"),
         "error: messages[0].role: expected a string", "role not a string");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'user','content':'a'},"
                    "{'role':'user','content':'b'},{'role':'user','content':"
                    "3}]}"),
         "error: messages[2].content: expected a string or an array of parts",
         "content of a wrong type names the message");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'user'}]}"),
         "error: messages[0].content: expected a string",
         "a user message without content");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'assistant','content':"
                    "'a','reasoning':5}]}"),
         "error: messages[0].reasoning: expected a string",
         "reasoning not a string");
    like(conv(CHAT, "{'model':3," USER "}"), "error: model: expected a string",
         "model not a string");
    like(conv(CHAT, "{'model':'m'," USER ",'stream':'yes'}"),
         "error: stream: expected a boolean", "stream not a boolean");
}

#define PNG "data:image/png;base64,iVBORw0KGgo="

static void
test_chat_parts(void)
{
    converts(
        CHAT,
        "{'model':'m','messages':[{'role':'user','content':[{'type':"
        "'text','text':'look'},{'type':'image_url','image_url':{'url':'" PNG
        "'}},{'type':'text','text':'and this'},{'type':'image_url',"
        "'image_url':'data:image/jpeg;base64,/9j/4A=='}]}]}",
        "{'model':'m','messages':[{'role':'user','content':'look\\nand "
        "this','images':['iVBORw0KGgo=','/9j/4A==']}],'stream':false}",
        "text parts joined by line breaks, images as bare base64 (object "
        "and string form)");
    converts(CHAT,
             "{'model':'m','messages':[{'role':'user','content':[{'type':"
             "'image_url','image_url':{'url':'data:;base64,QUJD\\r\\nREVG"
             "Rw'}}]}]}",
             "{'model':'m','messages':[{'role':'user','content':'','images':"
             "['QUJDREVGRw==']}],'stream':false}",
             "no media type accepted; line breaks dropped, padding added");
    converts(CHAT,
             "{'model':'m','messages':[{'role':'user','content':[{'type':"
             "'text','text':'a'},{'type':'text','text':''},{'type':'text',"
             "'text':'b'}]}]}",
             "{'model':'m','messages':[{'role':'user','content':'a\\n\\nb'}],"
             "'stream':false}",
             "every text part joined in order, empty ones too");
    converts(CHAT,
             "{'model':'m','messages':[{'role':'assistant','content':[{'type':"
             "'refusal','refusal':'no'},{'type':'text','text':'sorry'}]}]}",
             "{'model':'m','messages':[{'role':'assistant','content':'no\\n"
             "sorry'}],'stream':false}",
             "a refusal part is text the model said");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'assistant','content':"
                    "[{'type':'refusal','text':'no'}]}]}"),
         "error: messages[0].content[0].refusal: expected a string",
         "a refusal part without its refusal");
    converts(CHAT, "{'model':'m','messages':[{'role':'user','content':[]}]}",
             "{'model':'m','messages':[{'role':'user','content':''}],"
             "'stream':false}",
             "an empty part array is empty content");

    static const char *const bad_urls[] = {
        "http://example.com/a.png",     "https://example.com/a.png",
        "data:text/plain;base64,QUJD",  "data:image/png,QUJD",
        "data:image/;base64,QUJD",      "data:image/png;base64,",
        "data:image/png;base64,QU JD",  "data:image/png;base64,Q",
        "data:image/png;base64,QQ=A",   "data:image/png;base64",
        "data:image/png;base64,QUJDR=", /* 5 digits and '=' */
        "data:image/png;base64,QUJD=",  /* 4 digits need no '=' */
        "data:image/png;base64,QQ=",    /* 2 digits need two */
        "file:///etc/passwd",
    };
    for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{'model':'m','messages':[{'role':'user','content':[{'type':"
                 "'text','text':'x'},{'type':'image_url','image_url':{'url':"
                 "'%s'}}]}]}",
                 bad_urls[i]);
        like(conv(CHAT, body), "error: messages[0].content[1].image_url: '",
             "refused image URL %s", bad_urls[i]);
    }
    like(conv(CHAT, "{'model':'m','messages':[{'role':'user','content':[{"
                    "'type':'image_url','image_url':{'url':'http://h/x.png'}"
                    "}]}]}"),
         "error: messages[0].content[0].image_url: 'http://h/x.png' is not a "
         "base64 data: URI of an image",
         "the refusal names the URL and says what was expected");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'user','content':[{"
                    "'type':'image_url','image_url':'http://example.com/a/"
                    "long/path/to/the/picture.png'}]}]}"),
         "'http://example.com/a/long/path/to/the/pi...' is not",
         "a long URL is cut in the message");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'user','content':[{"
                    "'type':'image_url','image_url':{}}]}]}"),
         "error: messages[0].content[0].image_url: expected a URL string",
         "image_url without url");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'user','content':[{"
                    "'type':'input_audio','input_audio':{'data':'QUJD'}}]}]}"),
         "error: messages[0].content[0].type: 'input_audio' parts are not "
         "supported (text, image_url and refusal are)",
         "an unsupported part type");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'user','content':["
                    "'text']}]}"),
         "error: messages[0].content[0]: expected a part object",
         "a part that is not an object");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'user','content':[{"
                    "'type':'text','text':{'a':1}}]}]}"),
         "error: messages[0].content[0].text: expected a string",
         "text not a string");
}

static void
test_chat_tools(void)
{
    converts(CHAT,
             "{'model':'m','messages':[{'role':'user','content':'w?'},{'role':"
             "'assistant','content':null,'tool_calls':[{'id':'call_1','type':"
             "'function','function':{'name':'weather','arguments':'{\\'city\\'"
             ":\\'Oslo\\',\\'n\\':[1,2]}'}},{'id':'call_2','type':'function',"
             "'function':{'name':'time','arguments':''}}]},{'role':'tool',"
             "'tool_call_id':'call_1','content':'cold'},{'role':'tool',"
             "'tool_call_id':'call_2','content':'noon'},{'role':'tool',"
             "'tool_call_id':'call_9','content':'?'},{'role':'tool','name':"
             "'given','tool_call_id':'call_1','content':'x'}]}",
             "{'model':'m','messages':[{'role':'user','content':'w?'},{'role':"
             "'assistant','content':'','tool_calls':[{'id':'call_1','function'"
             ":{'name':'weather','arguments':{'city':'Oslo','n':[1,2]}}},{'id'"
             ":'call_2','function':{'name':'time','arguments':{}}}]},{'role':"
             "'tool','content':'cold','tool_name':'weather','tool_call_id':"
             "'call_1'},{'role':'tool','content':'noon','tool_name':'time',"
             "'tool_call_id':'call_2'},{'role':'tool','content':'?',"
             "'tool_call_id':'call_9'},{'role':'tool','content':'x',"
             "'tool_name':'given','tool_call_id':'call_1'}],'stream':false}",
             "tool calls get object arguments; tool results are named by the "
             "call they answer, or by their own name");
    converts(CHAT,
             "{'model':'m','messages':[{'role':'assistant','tool_calls':[{"
             "'function':{'name':'f','arguments':{'a':1}}}]}]}",
             "{'model':'m','messages':[{'role':'assistant','content':'',"
             "'tool_calls':[{'function':{'name':'f','arguments':{'a':1}}}]}],"
             "'stream':false}",
             "arguments given as an object are kept; no id, none invented");
    converts(CHAT,
             "{'model':'m','messages':[{'role':'assistant','content':'k',"
             "'tool_calls':[]}]}",
             "{'model':'m','messages':[{'role':'assistant','content':'k'}],"
             "'stream':false}",
             "an empty tool_calls array is left out");

    static const char *const bad_args[] = {
        "'{'", "'[1]'", "'{} x'", "'12'", "'nope'", "5", "['a']", "true",
    };
    for (size_t i = 0; i < sizeof bad_args / sizeof bad_args[0]; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{'model':'m','messages':[{'role':'user','content':'u'},{"
                 "'role':'assistant','tool_calls':[{'function':{'name':'f',"
                 "'arguments':%s}}]}]}",
                 bad_args[i]);
        like(conv(CHAT, body),
             "error: messages[1].tool_calls[0].function.arguments: expected "
             "a JSON object",
             "arguments %s refused", bad_args[i]);
    }
    like(conv(CHAT, "{'model':'m','messages':[{'role':'assistant',"
                    "'tool_calls':{}}]}"),
         "error: messages[0].tool_calls: expected an array",
         "tool_calls not an array");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'assistant',"
                    "'tool_calls':[1]}]}"),
         "error: messages[0].tool_calls[0]: expected an object",
         "a tool call not an object");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'assistant',"
                    "'tool_calls':[{'function':'f'}]}]}"),
         "error: messages[0].tool_calls[0].function: expected an object",
         "function not an object");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'assistant',"
                    "'tool_calls':[{'function':{'arguments':'{}'}}]}]}"),
         "error: messages[0].tool_calls[0].function.name: expected a string",
         "function without a name");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'assistant',"
                    "'tool_calls':[{'id':1,'function':{'name':'f'}}]}]}"),
         "error: messages[0].tool_calls[0].id: expected a string",
         "an id that is not a string");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'tool','content':'x',"
                    "'tool_call_id':5}]}"),
         "error: messages[0].tool_call_id: expected a string",
         "tool_call_id not a string");
    like(conv(CHAT, "{'model':'m','messages':[{'role':'tool','content':'x',"
                    "'name':[]}]}"),
         "error: messages[0].name: expected a string",
         "a tool result's name not a string");

#define TOOLS "'tools':[{'type':'function','function':{'name':'f'}}]"
#define TOOLS2                                                                 \
    "'tools':[{'type':'function','function':{'name':'f'}},{'type':"            \
    "'function','function':{'name':'g','parameters':{}}}]"
    converts(CHAT, "{'model':'m'," USER "," TOOLS "}",
             "{'model':'m'," USER_NATIVE "," TOOLS ",'stream':false}",
             "tools copied");
    converts(CHAT, "{'model':'m'," USER "," TOOLS ",'tool_choice':'auto'}",
             "{'model':'m'," USER_NATIVE "," TOOLS ",'stream':false}",
             "tool_choice auto keeps the tools");
    converts(CHAT,
             "{'model':'m'," USER "," TOOLS2 ",'tool_choice':{'type':"
             "'function','function':{'name':'g'}}}",
             "{'model':'m'," USER_NATIVE ",'tools':[{'type':'function',"
             "'function':{'name':'g','parameters':{}}}],'stream':false}",
             "a named tool_choice keeps that tool alone");
    converts(CHAT, "{'model':'m'," USER "," TOOLS2 ",'tool_choice':'required'}",
             "{'model':'m'," USER_NATIVE "," TOOLS2 ",'stream':false}",
             "tool_choice required keeps them all");
    like(conv(CHAT, "{'model':'m'," USER "," TOOLS ",'tool_choice':{'type':"
                    "'function','function':{'name':'h'}}}"),
         "error: tool_choice: no function 'h' in tools",
         "a named tool_choice not in tools");
    like(conv(CHAT, "{'model':'m'," USER "," TOOLS ",'tool_choice':{'type':"
                    "'function'}}"),
         "error: tool_choice.function.name: expected a string",
         "a tool_choice object without a name");
    converts(CHAT,
             "{'model':'m'," USER "," TOOLS2 ",'tool_choice':{'type':"
             "'allowed_tools','allowed_tools':{'mode':'auto'}}}",
             "{'model':'m'," USER_NATIVE "," TOOLS2 ",'stream':false}",
             "another kind of tool_choice object keeps them all");
    converts(CHAT, "{'model':'m'," USER "," TOOLS ",'tool_choice':'none'}",
             "{'model':'m'," USER_NATIVE ",'stream':false}",
             "tool_choice none drops the tools");
    converts(CHAT, "{'model':'m'," USER ",'tools':[]}",
             "{'model':'m'," USER_NATIVE ",'stream':false}",
             "an empty tools array is left out");
    like(conv(CHAT, "{'model':'m'," USER ",'tools':{}}"),
         "error: tools: expected an array", "tools not an array");
    like(conv(CHAT, "{'model':'m'," USER ",'tools':['f']}"),
         "error: tools[0]: expected an object", "a tool not an object");
    like(conv(CHAT, "{'model':'m'," USER "," TOOLS ",'tool_choice':1}"),
         "error: tool_choice: expected a string or an object",
         "tool_choice of a wrong type");
}

static void
test_options(void)
{
    converts(CHAT,
             "{'model':'m'," USER ",'temperature':0.7,'top_p':1,'seed':42,"
             "'stop':'END','frequency_penalty':0.5,'presence_penalty':-0.25,"
             "'max_tokens':100}",
             "{'model':'m'," USER_NATIVE ",'stream':false,'options':{"
             "'temperature':0.7,'top_p':1,'frequency_penalty':0.5,"
             "'presence_penalty':-0.25,'seed':42,'stop':['END'],"
             "'num_predict':100}}",
             "sampling fields become options; a stop string an array");
    converts(CHAT,
             "{'model':'m'," USER ",'max_tokens':100,'max_completion_tokens'"
             ":50,'stop':['a','b'],'seed':7.0}",
             "{'model':'m'," USER_NATIVE ",'stream':false,'options':{'seed':7,"
             "'stop':['a','b'],'num_predict':50}}",
             "max_completion_tokens wins over max_tokens; 7.0 is an integer");
    converts(CHAT,
             "{'model':'m'," USER ",'temperature':null,'stop':[],'seed':null}",
             "{'model':'m'," USER_NATIVE ",'stream':false}",
             "unset, null and an empty stop list leave no options at all");
    converts(CHAT,
             "{'model':'m'," USER ",'options':{'num_ctx':8192,'temperature':"
             "0.1},'temperature':0.9,'keep_alive':'10m'}",
             "{'model':'m'," USER_NATIVE ",'stream':false,'options':{"
             "'num_ctx':8192,'temperature':0.9},'keep_alive':'10m'}",
             "a client's options and keep_alive are kept, OpenAI fields win");
    converts(CHAT,
             "{'model':'m'," USER ",'keep_alive':-1,'top_k':20,"
             "'min_p':0.05,'repeat_penalty':1.1}",
             "{'model':'m'," USER_NATIVE ",'stream':false,'options':{"
             "'top_k':20,'min_p':0.05,'repeat_penalty':1.1},'keep_alive':-1}",
             "top_k, min_p, repeat_penalty (llama.cpp style) become options");

    static const char *const bad[][2] = {
        {"'temperature':'hot'", "temperature: expected a number"},
        {"'top_p':[]", "top_p: expected a number"},
        {"'frequency_penalty':true", "frequency_penalty: expected a number"},
        {"'presence_penalty':{}", "presence_penalty: expected a number"},
        {"'seed':1.5", "seed: expected an integer"},
        {"'seed':'1'", "seed: expected an integer"},
        {"'max_tokens':0", "max_tokens: expected a positive integer"},
        {"'max_tokens':-5", "max_tokens: expected a positive integer"},
        {"'max_completion_tokens':'9'",
         "max_completion_tokens: expected a positive integer"},
        {"'stop':5", "stop: expected a string or an array of strings"},
        {"'stop':['a',2]", "stop[1]: expected a string"},
        {"'top_k':0.5", "top_k: expected an integer"},
        {"'options':[]", "options: expected an object"},
        {"'keep_alive':true", "keep_alive: expected seconds or a duration"},
        {"'temperature':1e999", "temperature: expected a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char body[512], want[256];
        snprintf(body, sizeof body, "{'model':'m'," USER ",%s}", bad[i][0]);
        snprintf(want, sizeof want, "error: %s", bad[i][1]);
        like(conv(CHAT, body), want, "refused: %s", bad[i][0]);
    }
}

static void
test_format_and_think(void)
{
    converts(CHAT,
             "{'model':'m'," USER ",'response_format':{'type':"
             "'json_object'}}",
             "{'model':'m'," USER_NATIVE ",'stream':false,'format':'json'}",
             "json_object -> format json");
    converts(CHAT,
             "{'model':'m'," USER ",'response_format':{'type':'json_schema',"
             "'json_schema':{'name':'x','schema':{'type':'object',"
             "'properties':{'a':{'type':'string'}}}}}}",
             "{'model':'m'," USER_NATIVE ",'stream':false,'format':{'type':"
             "'object','properties':{'a':{'type':'string'}}}}",
             "json_schema -> format is the schema");
    converts(CHAT,
             "{'model':'m'," USER ",'response_format':{'type':'text'},"
             "'format':'json'}",
             "{'model':'m'," USER_NATIVE ",'stream':false}",
             "text -> no format (response_format wins over format)");
    converts(CHAT, "{'model':'m'," USER ",'format':'json'}",
             "{'model':'m'," USER_NATIVE ",'stream':false,'format':'json'}",
             "a native format is kept");
    like(conv(CHAT, "{'model':'m'," USER ",'response_format':'json'}"),
         "error: response_format: expected an object",
         "response_format not an object");
    like(conv(CHAT, "{'model':'m'," USER ",'response_format':{'type':'xml'}}"),
         "error: response_format.type: 'xml' is not one of",
         "an unknown response_format type");
    like(conv(CHAT, "{'model':'m'," USER ",'response_format':{'type':"
                    "'json_schema','json_schema':{'name':'x'}}}"),
         "error: response_format.json_schema.schema: expected a JSON schema",
         "json_schema without a schema");
    like(conv(CHAT, "{'model':'m'," USER ",'response_format':{'type':"
                    "'json_schema'}}"),
         "error: response_format.json_schema.schema",
         "json_schema without json_schema");
    like(conv(CHAT, "{'model':'m'," USER ",'format':3}"),
         "error: format: expected", "format of a wrong type");

    static const char *const efforts[][2] = {
        {"'reasoning_effort':'none'", "false"},
        {"'reasoning_effort':'minimal'", "'low'"},
        {"'reasoning_effort':'low'", "'low'"},
        {"'reasoning_effort':'medium'", "'medium'"},
        {"'reasoning_effort':'HIGH'", "'high'"},
        {"'reasoning_effort':'xhigh'", "'max'"},
        {"'reasoning_effort':'ultra'", "'max'"},
        {"'reasoning':{'effort':'medium'}", "'medium'"},
        {"'reasoning':{'effort':'none'}", "false"},
        {"'reasoning_effort':'low','reasoning':{'effort':'high'}", "'low'"},
        {"'think':true,'reasoning_effort':'low'", "true"},
        {"'think':'high'", "'high'"},
    };
    for (size_t i = 0; i < sizeof efforts / sizeof efforts[0]; i++) {
        char body[512], want[256];
        snprintf(body, sizeof body, "{'model':'m'," USER ",%s}", efforts[i][0]);
        snprintf(want, sizeof want,
                 "{'model':'m'," USER_NATIVE ",'stream':false,'think':%s}",
                 efforts[i][1]);
        converts(CHAT, body, want, "%s -> think %s", efforts[i][0],
                 efforts[i][1]);
    }
    converts(CHAT, "{'model':'m'," USER ",'reasoning':{}}",
             "{'model':'m'," USER_NATIVE ",'stream':false}",
             "reasoning without an effort sets nothing");
    like(conv(CHAT, "{'model':'m'," USER ",'reasoning_effort':'extreme'}"),
         "error: reasoning_effort: 'extreme' is not one of",
         "an unknown effort");
    like(conv(CHAT, "{'model':'m'," USER ",'reasoning_effort':1}"),
         "error: reasoning_effort: expected a string",
         "an effort that is not a string");
    like(conv(CHAT, "{'model':'m'," USER ",'reasoning':{'effort':'x'}}"),
         "error: reasoning.effort: 'x' is not one of",
         "reasoning.effort is named");
    like(conv(CHAT, "{'model':'m'," USER ",'reasoning':'high'}"),
         "error: reasoning: expected an object", "reasoning not an object");
    like(conv(CHAT, "{'model':'m'," USER ",'think':1}"),
         "error: think: expected a boolean or a level",
         "think of a wrong type");

    converts(CHAT, "{'model':'m'," USER ",'logprobs':true,'top_logprobs':3}",
             "{'model':'m'," USER_NATIVE ",'stream':false,'logprobs':true,"
             "'top_logprobs':3}",
             "chat logprobs and top_logprobs kept");
    like(conv(CHAT, "{'model':'m'," USER ",'logprobs':2}"),
         "error: logprobs: expected a boolean", "chat logprobs is a boolean");
    like(conv(CHAT, "{'model':'m'," USER ",'top_logprobs':'3'}"),
         "error: top_logprobs: expected an integer",
         "top_logprobs of a wrong type");
}

static void
test_completions(void)
{
    converts(COMPLETIONS,
             "{'model':'m','prompt':'def f(','suffix':'return x','stream':"
             "true,'max_tokens':16,'temperature':0,'echo':false,'best_of':1,"
             "'n':1}",
             "{'model':'m','prompt':'def f(','suffix':'return x','stream':"
             "true,'options':{'temperature':0,'num_predict':16}}",
             "prompt, suffix, stream and options");
    converts(COMPLETIONS, "{'model':'m','prompt':['once']}",
             "{'model':'m','prompt':'once','stream':false}",
             "an array of one prompt is that prompt");
    converts(COMPLETIONS, "{'model':'m','prompt':'','logprobs':2}",
             "{'model':'m','prompt':'','stream':false,'logprobs':true,"
             "'top_logprobs':2}",
             "logprobs N -> logprobs with N alternatives");
    converts(COMPLETIONS,
             "{'model':'m','prompt':'p','response_format':{'type':"
             "'json_object'},'reasoning_effort':'none','keep_alive':0}",
             "{'model':'m','prompt':'p','stream':false,'format':'json',"
             "'think':false,'keep_alive':0}",
             "format, think and keep_alive on completions too");
    like(conv(COMPLETIONS, "{'model':'m','prompt':['a','b']}"),
         "error: prompt: one prompt per request is supported (got an array "
         "of 2)",
         "two prompts refused");
    like(conv(COMPLETIONS, "{'model':'m','prompt':[]}"),
         "error: prompt: one prompt per request", "no prompt in the array");
    like(conv(COMPLETIONS, "{'model':'m','prompt':[1,2,3]}"),
         "error: prompt: token arrays are not supported", "token prompt");
    like(conv(COMPLETIONS, "{'model':'m','prompt':[[1,2],[3]]}"),
         "error: prompt: token arrays are not supported",
         "token prompts in arrays");
    like(conv(COMPLETIONS, "{'model':'m'}"), "error: prompt: expected a string",
         "prompt missing");
    like(conv(COMPLETIONS, "{'model':'m','prompt':{}}"),
         "error: prompt: expected a string", "prompt an object");
    like(conv(COMPLETIONS, "{'model':'m','prompt':'p','echo':true}"),
         "error: echo: not supported", "echo refused");
    like(conv(COMPLETIONS, "{'model':'m','prompt':'p','echo':'yes'}"),
         "error: echo: expected a boolean", "echo of a wrong type");
    like(conv(COMPLETIONS, "{'model':'m','prompt':'p','suffix':1}"),
         "error: suffix: expected a string", "suffix of a wrong type");
    like(conv(COMPLETIONS, "{'model':'m','prompt':'p','logprobs':-1}"),
         "error: logprobs: expected a count", "a negative logprobs count");
}

static void
test_embeddings(void)
{
    converts(EMBEDDINGS,
             "{'model':'e','input':'hello','encoding_format':"
             "'float','user':'u'}",
             "{'model':'e','input':'hello'}",
             "a string input; encoding_format leaves no trace");
    converts(EMBEDDINGS,
             "{'model':'e','input':['a','b'],'dimensions':256,"
             "'encoding_format':'BASE64','options':{'num_ctx':512},"
             "'keep_alive':'1h','truncate':false,'temperature':0.5}",
             "{'model':'e','input':['a','b'],'dimensions':256,'truncate':"
             "false,'options':{'num_ctx':512},'keep_alive':'1h'}",
             "an input array, dimensions, options, keep_alive, truncate; no "
             "sampling options for embeddings");
    converts(EMBEDDINGS, "{'model':'e','input':''}",
             "{'model':'e','input':['']}",
             "an empty string is embedded, not a load request");
    like(conv(EMBEDDINGS, "{'model':'e','input':[1,2,3]}"),
         "error: input: token arrays are not supported", "token input");
    like(conv(EMBEDDINGS, "{'model':'e','input':[[1,2],[3]]}"),
         "error: input: token arrays are not supported", "token inputs");
    like(conv(EMBEDDINGS, "{'model':'e','input':['a',null]}"),
         "error: input[1]: expected a string", "a null among the inputs");
    like(conv(EMBEDDINGS, "{'model':'e','input':[]}"),
         "error: input: expected a string or a non-empty array",
         "an empty input array");
    like(conv(EMBEDDINGS, "{'model':'e'}"), "error: input: expected a string",
         "input missing");
    like(conv(EMBEDDINGS, "{'model':'e','input':'a','encoding_format':'int8'}"),
         "error: encoding_format: expected \"float\" or \"base64\"",
         "an unknown encoding_format");
    like(conv(EMBEDDINGS, "{'model':'e','input':'a','encoding_format':1}"),
         "error: encoding_format: expected", "encoding_format not a string");

    /* no native counterpart, still never silently wrong */
    const char *msg = "'messages':[{'role':'user','content':'x'}]";
    char b[256];
    snprintf(b, sizeof b, "{'model':'m',%s,'n':1,'best_of':1}", msg);
    ok(strncmp(conv(CHAT, b), "error", 5) != 0, "n and best_of 1 are fine");
    snprintf(b, sizeof b, "{'model':'m',%s,'n':3}", msg);
    like(conv(CHAT, b), "error: n: only 1 is supported", "n 3 is refused");
    like(conv(COMPLETIONS, "{'model':'m','prompt':'x','best_of':2}"),
         "error: best_of: only 1 is supported", "best_of 2 is refused");
    snprintf(b, sizeof b, "{'model':'m',%s,'n':'two'}", msg);
    like(conv(CHAT, b), "error: n: expected a positive integer",
         "n not a number");
    snprintf(b, sizeof b, "{'model':'m',%s,'n':0}", msg);
    like(conv(CHAT, b), "error: n: expected a positive integer", "n 0");
    snprintf(b, sizeof b, "{'model':'m',%s,'tool_choice':'sometimes'}", msg);
    like(conv(CHAT, b), "error: tool_choice: expected \"none\"",
         "an unknown tool_choice string");
    snprintf(b, sizeof b, "{'model':'m',%s,'tool_choice':'required'}", msg);
    ok(strncmp(conv(CHAT, b), "error", 5) != 0, "tool_choice required is fine");
    snprintf(b, sizeof b, "{'model':'m',%s,'stream_options':5}", msg);
    like(conv(CHAT, b), "error: stream_options: expected an object",
         "stream_options not an object");
    snprintf(b, sizeof b,
             "{'model':'m',%s,'stream_options':{'include_usage':'yes'}}", msg);
    like(conv(CHAT, b),
         "error: stream_options.include_usage: expected a "
         "boolean",
         "include_usage not a boolean");
    snprintf(b, sizeof b,
             "{'model':'m',%s,'stream_options':{'include_usage':null}}", msg);
    ok(strncmp(conv(CHAT, b), "error", 5) != 0, "include_usage null is fine");
    like(conv(EMBEDDINGS, "{'model':'e','input':'a','dimensions':0}"),
         "error: dimensions: expected a positive integer", "dimensions 0");
    like(conv(EMBEDDINGS, "{'model':'e','input':'a','dimensions':'8'}"),
         "error: dimensions: expected a positive integer",
         "dimensions not a number");
    like(conv(EMBEDDINGS, "{'model':'e','input':'a','truncate':1}"),
         "error: truncate: expected a boolean", "truncate not a boolean");
}

/* Every field read, with every kind of wrong value, in each API: either a
 * native body or an error with a message; ASan watches for the rest. */
static void
test_garbage(void)
{
    static const char *const fields[] = {
        "model",
        "messages",
        "stream",
        "tools",
        "tool_choice",
        "temperature",
        "top_p",
        "seed",
        "stop",
        "frequency_penalty",
        "presence_penalty",
        "max_tokens",
        "max_completion_tokens",
        "options",
        "response_format",
        "format",
        "reasoning_effort",
        "reasoning",
        "think",
        "keep_alive",
        "logprobs",
        "top_logprobs",
        "prompt",
        "suffix",
        "echo",
        "input",
        "dimensions",
        "encoding_format",
        "truncate",
        "top_k",
    };
    static const char *const values[] = {
        "null",
        "true",
        "0",
        "-1",
        "1.5",
        "'x'",
        "''",
        "[]",
        "{}",
        "[null]",
        "[[[]]]",
        "[{}]",
        "{'type':{}}",
        "{'effort':[]}",
        "[{'role':[]}]",
        "[{'role':'user','content':[{'type':'image_url','image_url':"
        "{'url':{}}}]}]",
        "[{'role':'assistant','tool_calls':[{'function':{'name':'f',"
        "'arguments':'{\\'a\\':{\\'b\\':[1,{}]}}'}}]}]",
        "{'type':'json_schema','json_schema':[]}",
    };
    static const enum proxy_api apis[] = {CHAT, COMPLETIONS, EMBEDDINGS};
    int all_answered = 1;
    for (size_t a = 0; a < 3; a++)
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
            for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
                char text[1024];
                snprintf(text, sizeof text,
                         "{'model':'m','messages':[{'role':'user','content':"
                         "'hi'}],'prompt':'p','input':'i','%s':%s}",
                         fields[f], values[v]);
                const char *got = conv(apis[a], text);
                if (strncmp(got, "{", 1) != 0 &&
                    (strncmp(got, "error: ", 7) != 0 || strlen(got) < 12)) {
                    all_answered = 0;
                    diag("%s -> %s", text, got);
                }
            }
    ok(all_answered, "wrong values of every field give a body or an error");
}

int
main(void)
{
    test_apis();
    test_chat_basics();
    test_chat_parts();
    test_chat_tools();
    test_options();
    test_format_and_think();
    test_completions();
    test_embeddings();
    test_garbage();
    return done_testing();
}
