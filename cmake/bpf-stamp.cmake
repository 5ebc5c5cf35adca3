# cmake -DOBJECT=x.bpf.o -DOUTPUT=stamp.h -P bpf-stamp.cmake
# The stamp names the pins of via's bpf links: another build of the object,
# another stamp, and a via that finds pins of another stamp replaces them.
file(SHA256 "${OBJECT}" hash)
string(SUBSTRING "${hash}" 0 16 stamp)
file(WRITE "${OUTPUT}.tmp" "// Generated from the bpf object's SHA-256: do not edit.\n#pragma once\ninline constexpr const char* sockmark_stamp = \"${stamp}\";\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
