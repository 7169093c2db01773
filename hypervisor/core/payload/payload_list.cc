#include "core/payload/payload_list.h"

#include "core/support/cstring.h"

namespace livepatch {

PayloadList::~PayloadList() {
    while (m_head) {
        Payload* p = m_head;
        m_head = p->next;
        Owned<Payload>::adopt(p);  // destroyed at the end of the statement
    }
}

void PayloadList::add(Owned<Payload> payload) noexcept {
    Payload* p = payload.release();
    p->next = nullptr;
    Payload** tail = &m_head;
    while (*tail)
        tail = &(*tail)->next;
    *tail = p;
    ++m_count;
}

Owned<Payload> PayloadList::remove(const char* name) noexcept {
    for (Payload** link = &m_head; *link; link = &(*link)->next) {
        if (str_eq((*link)->name(), name)) {
            Payload* p = *link;
            *link = p->next;
            p->next = nullptr;
            --m_count;
            return Owned<Payload>::adopt(p);
        }
    }
    return Owned<Payload>();
}

Payload* PayloadList::find(const char* name) const noexcept {
    for (Payload* p = m_head; p; p = p->next) {
        if (str_eq(p->name(), name))
            return p;
    }
    return nullptr;
}

Payload* PayloadList::find_by_build_id(const BuildId& id) const noexcept {
    for (Payload* p = m_head; p; p = p->next) {
        if (p->build_id().equals(id))
            return p;
    }
    return nullptr;
}

uint64_t PayloadList::find_new_symbol(const char* name) const noexcept {
    uint64_t value = 0;
    find_new_symbol_owner(name, &value);
    return value;
}

Payload* PayloadList::find_new_symbol_owner(const char* name, uint64_t* value) const noexcept {
    for (Payload* p = m_head; p; p = p->next) {
        if (const PayloadSymbol* s = p->find_new_symbol(name)) {
            *value = s->value;
            return p;
        }
    }
    *value = 0;
    return nullptr;
}

Payload* PayloadList::find_text_owner(uint64_t addr, uint64_t len) const noexcept {
    for (Payload* p = m_head; p; p = p->next) {
        if (p->text().contains(addr, len))
            return p;
    }
    return nullptr;
}

}  // namespace livepatch
