#include "offline_envelope.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "errors.h"

namespace livepatch::tool {

namespace {

// The errno of opening `path` for reading (0 when it opens).
int open_errno(const std::string& path) {
    if (path.empty())
        return 0;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

Json error_object(const std::string& step, int err, const std::string& meaning) {
    Json e;
    e["step"] = step;
    e["completion"] = false;
    put_rc(e, -err);
    e["errno"] = err;
    e["message"] = strerror(err);
    e["meaning"] = meaning;
    return e;
}

// info's or check's failure to read its input ("error" is then the offline message).
Json input_error(const std::string& message, const std::string& payload, const std::string& image) {
    if (message.rfind("no hypervisor image", 0) == 0)
        return error_object("args", EINVAL, message);
    for (const std::string* file : {&image, &payload}) {
        if (const int err = open_errno(*file))
            return error_object("open", err, message);
    }
    return error_object("read", EINVAL, message);
}

// check's refusal: the first failed check names the step; the loader's subject and rule stay.
Json refusal(const Json& doc) {
    const int rc = doc.value("rc", -EINVAL);
    std::string step = "check", meaning;
    for (const Json& c : doc.value("checks", Json::array())) {
        if (c.value("ok", true) == false) {
            step = c.value("name", step);
            meaning = c.value("detail", "");
            break;
        }
    }
    const Json rule = doc.contains("error") && doc["error"].is_object() ? doc["error"] : Json::object();
    if (rule.contains("rule"))
        meaning = rule.value("subject", "") + ": " + rule.value("rule", "");
    Json e = error_object(step, rc < 0 ? -rc : EINVAL, meaning.empty() ? "the payload was refused" : meaning);
    for (const char* k : {"subject", "rule"}) {
        if (rule.contains(k))
            e[k] = rule[k];
    }
    return e;
}

}  // namespace

std::string offline_envelope(const std::string& command, int exit_code, const std::string& offline_doc,
                             const std::string& payload, const std::string& image) {
    Json doc = Json::parse(offline_doc, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        doc = Json{{"output", offline_doc}};
    Json out = Json::object();
    out["command"] = command;
    out["ok"] = exit_code == 0;
    out["exit_code"] = exit_code;
    out["backend"] = nullptr;
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        if (it.key() != "error" && it.key() != "rc")
            out[it.key()] = it.value();
    }
    Json error = nullptr;
    if (exit_code != 0) {
        if (doc.contains("error") && doc["error"].is_string())
            error = input_error(doc["error"].get<std::string>(), payload, image);
        else
            error = refusal(doc);
    }
    put_rc(out, error.is_null() ? 0 : error["rc"].get<int>());
    out["error"] = error;
    return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace livepatch::tool
