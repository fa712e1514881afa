import CLibbpf

/// Builds, from the kernel's BTF, the small BTF that holds only what one BPF object's CO-RE
/// relocations look at, as `bpftool gen min_core_btf` does. libbpf 1.1 spends most of a tool's
/// start-up parsing the kernel's 5.5 MB of BTF and searching its 100,000+ types by name; with
/// this subset (a few KB, cached by BTFCache) it relocates the same fields to the same offsets
/// in well under a millisecond.
///
/// Kept: each struct or union a field relocation walks through, with only the members on the
/// walk (at their original offsets, with the struct's original size), and the types of those
/// members. Pointers become `void *`: a field relocation never walks through a pointer (each
/// step of BPF_CORE_READ is its own relocation), and libbpf accepts any pointer for a pointer.
/// Types that type-based or enum relocations name are copied whole.
struct MinimalBTF {
    private let target: OpaquePointer   // struct btf *
    private let local: OpaquePointer
    /// Members kept per struct/union of the target BTF; a type listed here is emitted.
    private var members: [UInt32: Set<Int>] = [:]
    private var whole: Set<UInt32> = []
    private var candidatesByName: [String: [UInt32]]

    /// nil when the object cannot be reduced (a type the kernel's BTF lacks, a kind not handled):
    /// the caller then loads with the full kernel BTF, as before.
    static func build(object: [UInt8], kernelBTF target: OpaquePointer) -> [UInt8]? {
        guard let elf = ELFSections(object), let btfRange = elf.sections[".BTF"], let extRange = elf.sections[".BTF.ext"] else {
            return nil
        }
        let btfBytes = Array(object[btfRange])
        guard let local = btfBytes.withUnsafeBytes({ btf__new($0.baseAddress, UInt32($0.count)) }),
              libbpf_get_error(UnsafeRawPointer(local)) == 0 else { return nil }
        defer { btf__free(local) }
        guard let relocations = CORERelocation.parse(btfExt: object[extRange], name: { String(cString: btf__name_by_offset(local, $0)) })
        else { return nil }
        var builder = MinimalBTF(target: target, local: local)
        for relocation in relocations where relocation.kind != .typeIDLocal {
            guard builder.record(relocation) else { return nil }
        }
        return builder.emit()
    }

    private init(target: OpaquePointer, local: OpaquePointer) {
        self.target = target
        self.local = local
        var byName: [String: [UInt32]] = [:]
        let count = btf__type_cnt(target)
        for id in 1..<count {
            guard let t = btf__type_by_id(target, id), t.pointee.name_off != 0 else { continue }
            switch clibbpf_btf_kind(t) {
            case BTFKind.`struct`, BTFKind.union, BTFKind.`enum`, BTFKind.enum64,
                 BTFKind.typedef, BTFKind.int, BTFKind.float, BTFKind.fwd:
                byName[String(cString: btf__name_by_offset(target, t.pointee.name_off)), default: []].append(id)
            default: break
            }
        }
        candidatesByName = byName
    }

    // MARK: recording what the relocations use

    private func type(_ btf: OpaquePointer, _ id: UInt32) -> UnsafePointer<btf_type>? { btf__type_by_id(btf, id) }
    private func kind(_ btf: OpaquePointer, _ id: UInt32) -> UInt32 { type(btf, id).map { clibbpf_btf_kind($0) } ?? 0 }
    private func name(_ btf: OpaquePointer, _ id: UInt32) -> String {
        type(btf, id).map { String(cString: btf__name_by_offset(btf, $0.pointee.name_off)) } ?? ""
    }

    /// Follows typedefs and const/volatile/restrict/type tags.
    private func resolved(_ btf: OpaquePointer, _ id: UInt32) -> UInt32 {
        var id = id
        for _ in 0..<32 {
            guard let t = type(btf, id) else { return id }
            switch clibbpf_btf_kind(t) {
            case BTFKind.typedef, BTFKind.const, BTFKind.volatile,
                 BTFKind.restrict, BTFKind.typeTag:
                id = t.pointee.type
            default: return id
            }
        }
        return id
    }

    private func isComposite(_ btf: OpaquePointer, _ id: UInt32) -> Bool {
        let k = kind(btf, id)
        return k == BTFKind.`struct` || k == BTFKind.union
    }

    /// libbpf matches a local type to kernel types of the same kind whose name is equal up to
    /// a "___flavor" suffix.
    private func candidates(for localID: UInt32) -> [UInt32] {
        var essential = name(local, localID)
        if let range = essential.firstRange(of: "___") { essential = String(essential[..<range.lowerBound]) }
        let localKind = kind(local, localID)
        return (candidatesByName[essential] ?? []).filter { kind(target, $0) == localKind }
    }

    private mutating func record(_ relocation: CORERelocation) -> Bool {
        if !relocation.kind.isField {
            // Type and enum relocations compare whole types, found by the name of the type
            // itself (a typedef, for a tracepoint's btf_trace_* signature).
            whole.formUnion(candidates(for: relocation.typeID))
            return true
        }
        let root = resolved(local, relocation.typeID)
        let found = candidates(for: root)
        for candidate in found {
            if let kept = walk(relocation.access, localRoot: root, targetRoot: candidate) {
                for (id, member) in kept { members[id, default: []].insert(member) }
                if members[candidate] == nil { members[candidate] = [] }  // emitted even if no member is read
            }
        }
        // A field no candidate has is fine: libbpf poisons the instruction whichever BTF it
        // relocates against (code behind a bpf_core_field_exists() check, for other kernels).
        return true
    }

    /// The (struct, member index) pairs of the target a field access goes through, or nil if
    /// this candidate does not have the fields.
    private func walk(_ access: [Int], localRoot: UInt32, targetRoot: UInt32) -> [(UInt32, Int)]? {
        var kept: [(UInt32, Int)] = []
        var l = localRoot, t = targetRoot
        for index in access.dropFirst() {  // the first index steps over the root pointer
            l = resolved(local, l)
            t = resolved(target, t)
            if isComposite(local, l) {
                guard let lt = type(local, l), index < Int(clibbpf_btf_vlen(lt)),
                      let member = clibbpf_btf_member(lt, UInt32(index))?.pointee else { return nil }
                let memberName = String(cString: btf__name_by_offset(local, member.name_off))
                l = member.type
                if memberName.isEmpty { continue }  // anonymous local member: libbpf matches by name below it
                guard isComposite(target, t), let path = findMember(memberName, in: t) else { return nil }
                kept += path.steps
                t = path.type
            } else if kind(local, l) == BTFKind.array {
                guard kind(target, t) == BTFKind.array, let la = type(local, l), let ta = type(target, t) else { return nil }
                l = clibbpf_btf_array(la).pointee.type
                t = clibbpf_btf_array(ta).pointee.type
            } else {
                return nil
            }
        }
        return kept
    }

    /// A named member of a struct or union, looking inside anonymous members as libbpf does.
    private func findMember(_ wanted: String, in id: UInt32) -> (steps: [(UInt32, Int)], type: UInt32)? {
        guard let t = type(target, id) else { return nil }
        for i in 0..<Int(clibbpf_btf_vlen(t)) {
            guard let member = clibbpf_btf_member(t, UInt32(i))?.pointee else { continue }
            let memberName = String(cString: btf__name_by_offset(target, member.name_off))
            if memberName == wanted { return ([(id, i)], member.type) }
            if memberName.isEmpty, isComposite(target, resolved(target, member.type)),
               let inner = findMember(wanted, in: resolved(target, member.type)) {
                return ([(id, i)] + inner.steps, inner.type)
            }
        }
        return nil
    }

    // MARK: emitting the subset

    private func emit() -> [UInt8]? {
        // Phase 1: every kept type gets its new id, in the order it will be written.
        var newID: [UInt32: UInt32] = [:]
        var order: [UInt32] = []
        var deep = whole
        var queue = Array(members.keys.sorted()) + Array(whole.sorted())
        func need(_ id: UInt32, deepCopy: Bool) {
            guard id != 0 else { return }
            if deepCopy && !deep.contains(id) { deep.insert(id); queue.append(id) }
            if newID[id] == nil { newID[id] = UInt32(order.count + 1); order.append(id); queue.append(id) }
        }
        for id in queue { need(id, deepCopy: deep.contains(id)) }
        var next = 0
        while next < queue.count {
            let id = queue[next]
            next += 1
            guard let t = type(target, id) else { return nil }
            let isDeep = deep.contains(id)
            switch clibbpf_btf_kind(t) {
            case BTFKind.`struct`, BTFKind.union:
                for i in 0..<Int(clibbpf_btf_vlen(t)) where isDeep || members[id]?.contains(i) == true {
                    need(clibbpf_btf_member(t, UInt32(i)).pointee.type, deepCopy: isDeep)
                }
            case BTFKind.ptr:
                // Behind a pointer libbpf matches structs and unions by name and kind only: they
                // are written with no members (copying them whole would pull in half the kernel).
                if isDeep { need(t.pointee.type, deepCopy: !isComposite(target, resolved(target, t.pointee.type))) }
            case BTFKind.array:
                let a = clibbpf_btf_array(t).pointee
                need(a.type, deepCopy: isDeep)
                need(a.index_type, deepCopy: isDeep)
            case BTFKind.typedef, BTFKind.const, BTFKind.volatile,
                 BTFKind.restrict, BTFKind.typeTag:
                need(t.pointee.type, deepCopy: isDeep)
            case BTFKind.funcProto:
                need(t.pointee.type, deepCopy: true)
                let params = UnsafeRawPointer(t.advanced(by: 1)).assumingMemoryBound(to: btf_param.self)
                for i in 0..<Int(clibbpf_btf_vlen(t)) { need(params[i].type, deepCopy: true) }
            default: break
            }
        }

        // Phase 2: write them in that order.
        guard let out = btf__new_empty() else { return nil }
        defer { btf__free(out) }
        for id in order {
            guard let t = type(target, id), write(t, id, isDeep: deep.contains(id), newID: newID, to: out) else { return nil }
        }
        var size: UInt32 = 0
        guard let raw = btf__raw_data(out, &size) else { return nil }
        return Array(UnsafeRawBufferPointer(start: raw, count: Int(size)))
    }

    private func write(_ t: UnsafePointer<btf_type>, _ id: UInt32, isDeep: Bool, newID: [UInt32: UInt32], to out: OpaquePointer) -> Bool {
        let typeName = String(cString: btf__name_by_offset(target, t.pointee.name_off))
        let nameOrNil: String? = typeName.isEmpty ? nil : typeName
        let ref = { (old: UInt32) -> Int32 in old == 0 ? 0 : Int32(newID[old] ?? 0) }
        let size = t.pointee.size  // the union with `type` in struct btf_type
        var result: Int32
        switch clibbpf_btf_kind(t) {
        case BTFKind.`struct`, BTFKind.union:
            let isStruct = clibbpf_btf_kind(t) == BTFKind.`struct`
            result = isStruct ? btf__add_struct(out, nameOrNil, size) : btf__add_union(out, nameOrNil, size)
            for i in 0..<Int(clibbpf_btf_vlen(t)) where result > 0 && (isDeep || members[id]?.contains(i) == true) {
                let member = clibbpf_btf_member(t, UInt32(i)).pointee
                let memberName = String(cString: btf__name_by_offset(target, member.name_off))
                if btf__add_field(out, memberName.isEmpty ? nil : memberName, ref(member.type),
                                  clibbpf_btf_member_bit_offset(t, UInt32(i)), clibbpf_btf_member_bitfield_size(t, UInt32(i))) < 0 {
                    return false
                }
            }
        case BTFKind.ptr:
            result = btf__add_ptr(out, isDeep ? ref(t.pointee.type) : 0)
        case BTFKind.int:
            result = btf__add_int(out, typeName, Int(size), Int32(clibbpf_btf_int_encoding(t)))
        case BTFKind.array:
            let a = clibbpf_btf_array(t).pointee
            result = btf__add_array(out, ref(a.index_type), ref(a.type), a.nelems)
        case BTFKind.`enum`:
            result = btf__add_enum(out, nameOrNil, size)
            for i in 0..<clibbpf_btf_vlen(t) where result > 0 {
                guard let e = clibbpf_btf_enum(t, UInt32(i))?.pointee else { return false }
                if btf__add_enum_value(out, btf__name_by_offset(target, e.name_off), Int64(e.val)) < 0 { return false }
            }
        case BTFKind.enum64:
            result = btf__add_enum64(out, nameOrNil, size, clibbpf_btf_kflag(t) != 0)
            for i in 0..<clibbpf_btf_vlen(t) where result > 0 {
                guard let e = clibbpf_btf_enum64(t, UInt32(i)) else { return false }
                if btf__add_enum64_value(out, btf__name_by_offset(target, e.pointee.name_off), clibbpf_btf_enum64_value(e)) < 0 { return false }
            }
        case BTFKind.typedef: result = btf__add_typedef(out, typeName, ref(t.pointee.type))
        case BTFKind.const: result = btf__add_const(out, ref(t.pointee.type))
        case BTFKind.volatile: result = btf__add_volatile(out, ref(t.pointee.type))
        case BTFKind.restrict: result = btf__add_restrict(out, ref(t.pointee.type))
        case BTFKind.typeTag: result = btf__add_type_tag(out, typeName, ref(t.pointee.type))
        case BTFKind.fwd:
            result = btf__add_fwd(out, typeName, clibbpf_btf_kflag(t) != 0 ? BTF_FWD_UNION : BTF_FWD_STRUCT)
        case BTFKind.float: result = btf__add_float(out, typeName, Int(size))
        case BTFKind.funcProto:
            result = btf__add_func_proto(out, ref(t.pointee.type))
            let params = UnsafeRawPointer(t.advanced(by: 1)).assumingMemoryBound(to: btf_param.self)
            for i in 0..<Int(clibbpf_btf_vlen(t)) where result > 0 {
                let paramName = String(cString: btf__name_by_offset(target, params[i].name_off))
                if btf__add_func_param(out, paramName.isEmpty ? nil : paramName, ref(params[i].type)) < 0 { return false }
            }
        default:
            return false
        }
        return result > 0 && UInt32(result) == newID[id]
    }
}
