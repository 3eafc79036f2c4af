//! A hand-written protobuf encoder for the subset of `onnx.proto` our graphs use.
//!
//! An ONNX file is one protobuf message (`ModelProto`). Writing it needs only the wire
//! format's two shapes of field — varints and length-delimited bytes (plus fixed32 for
//! float attributes) — so a few dozen lines replace protoc, prost and a build script.
//! Field numbers are those of `onnx/onnx.proto` (IR version 8); repeated scalars are
//! written unpacked, which every protobuf parser accepts. Tensor contents always go in
//! `raw_data` (little-endian), the form ONNX Runtime reads without conversion.

/// Protobuf wire types.
const VARINT: u32 = 0;
const FIXED32: u32 = 5;
const LEN: u32 = 2;

/// ONNX `TensorProto.DataType` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// 32-bit float.
    Float = 1,
    /// Unsigned 8-bit integer.
    Uint8 = 2,
    /// Signed 8-bit integer.
    Int8 = 3,
    /// Signed 32-bit integer.
    Int32 = 6,
    /// Signed 64-bit integer.
    Int64 = 7,
}

/// A protobuf message being written: fields appended in any order.
#[derive(Debug, Default, Clone)]
pub struct Message {
    buf: Vec<u8>,
}

fn put_varint(buf: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        buf.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

impl Message {
    /// An empty message.
    pub fn new() -> Message {
        Message::default()
    }

    fn key(&mut self, field: u32, wire: u32) {
        put_varint(&mut self.buf, u64::from(field << 3 | wire));
    }

    /// A varint field (int32/int64/enum); negative values take ten bytes, as protobuf
    /// encodes them.
    pub fn int(&mut self, field: u32, value: i64) -> &mut Message {
        self.key(field, VARINT);
        put_varint(&mut self.buf, value as u64);
        self
    }

    /// A `float` field (fixed32).
    pub fn float(&mut self, field: u32, value: f32) -> &mut Message {
        self.key(field, FIXED32);
        self.buf.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// A `bytes` field.
    pub fn bytes(&mut self, field: u32, value: &[u8]) -> &mut Message {
        self.key(field, LEN);
        put_varint(&mut self.buf, value.len() as u64);
        self.buf.extend_from_slice(value);
        self
    }

    /// A `string` field.
    pub fn string(&mut self, field: u32, value: &str) -> &mut Message {
        self.bytes(field, value.as_bytes())
    }

    /// An embedded message field.
    pub fn message(&mut self, field: u32, value: &Message) -> &mut Message {
        self.bytes(field, &value.buf)
    }

    /// The encoded bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Encoded length so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// `TensorProto` with `raw_data`: dims 1, data_type 2, name 8, raw_data 9.
pub fn tensor(name: &str, data_type: DataType, dims: &[i64], raw: &[u8]) -> Message {
    let mut m = Message::new();
    for &d in dims {
        m.int(1, d);
    }
    m.int(2, data_type as i64).string(8, name).bytes(9, raw);
    m
}

/// Little-endian bytes of a slice of plain numbers.
pub fn le_bytes<T: Copy, const N: usize>(values: &[T], to: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    values.iter().flat_map(|&v| to(v)).collect()
}

/// One dimension of a value's shape: a fixed size or a named symbolic one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    /// A known size.
    Fixed(i64),
    /// A size known at run time (`"batch"`, `"seq"`).
    Named(&'static str),
}

/// `ValueInfoProto` of a tensor: name 1, type 2 → `TypeProto.tensor_type` 1 →
/// elem_type 1, shape 2 → dim 1 → dim_value 1 / dim_param 2.
pub fn value_info(name: &str, data_type: DataType, dims: &[Dim]) -> Message {
    let mut shape = Message::new();
    for d in dims {
        let mut dim = Message::new();
        match d {
            Dim::Fixed(v) => dim.int(1, *v),
            Dim::Named(n) => dim.string(2, n),
        };
        shape.message(1, &dim);
    }
    let mut tensor_type = Message::new();
    tensor_type.int(1, data_type as i64).message(2, &shape);
    let mut type_proto = Message::new();
    type_proto.message(1, &tensor_type);
    let mut m = Message::new();
    m.string(1, name).message(2, &type_proto);
    m
}

/// A node attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Attr {
    /// `INT` (type 2, field `i` = 3).
    Int(i64),
    /// `FLOAT` (type 1, field `f` = 2).
    Float(f32),
    /// `INTS` (type 7, field `ints` = 8).
    Ints(Vec<i64>),
}

/// `AttributeProto`: name 1, value field, type 20.
fn attribute(name: &str, value: &Attr) -> Message {
    let mut m = Message::new();
    m.string(1, name);
    match value {
        Attr::Float(f) => m.float(2, *f).int(20, 1),
        Attr::Int(i) => m.int(3, *i).int(20, 2),
        Attr::Ints(v) => {
            for &i in v {
                m.int(8, i);
            }
            m.int(20, 7)
        }
    };
    m
}

/// `NodeProto`: input 1, output 2, name 3, op_type 4, attribute 5, domain 7.
pub fn node(
    op_type: &str,
    domain: &str,
    name: &str,
    inputs: &[&str],
    outputs: &[&str],
    attrs: &[(&str, Attr)],
) -> Message {
    let mut m = Message::new();
    for i in inputs {
        m.string(1, i);
    }
    for o in outputs {
        m.string(2, o);
    }
    m.string(3, name).string(4, op_type);
    for (attr_name, value) in attrs {
        m.message(5, &attribute(attr_name, value));
    }
    if !domain.is_empty() {
        m.string(7, domain);
    }
    m
}

/// `GraphProto`: node 1, name 2, initializer 5, input 11, output 12.
pub fn graph(
    name: &str,
    nodes: &[Message],
    initializers: &[Message],
    inputs: &[Message],
    outputs: &[Message],
) -> Message {
    let mut m = Message::new();
    for n in nodes {
        m.message(1, n);
    }
    m.string(2, name);
    for t in initializers {
        m.message(5, t);
    }
    for i in inputs {
        m.message(11, i);
    }
    for o in outputs {
        m.message(12, o);
    }
    m
}

/// `ModelProto`: ir_version 1, producer_name 2, producer_version 3, graph 7,
/// opset_import 8 (`OperatorSetIdProto`: domain 1, version 2), metadata_props 14
/// (`StringStringEntryProto`: key 1, value 2).
pub fn model(graph: &Message, opsets: &[(&str, i64)], metadata: &[(&str, &str)]) -> Message {
    let mut m = Message::new();
    m.int(1, 8)
        .string(2, "esci-onnx")
        .string(3, env!("CARGO_PKG_VERSION"))
        .message(7, graph);
    for (domain, version) in opsets {
        let mut op = Message::new();
        op.string(1, domain).int(2, *version);
        m.message(8, &op);
    }
    for (key, value) in metadata {
        let mut entry = Message::new();
        entry.string(1, key).string(2, value);
        m.message(14, &entry);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_follow_the_protobuf_encoding() {
        let enc = |v: u64| {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            b
        };
        assert_eq!(enc(0), [0]);
        assert_eq!(enc(1), [1]);
        assert_eq!(enc(127), [0x7f]);
        assert_eq!(enc(300), [0xac, 0x02]);
        assert_eq!(enc(u64::MAX).len(), 10);
        assert_eq!(enc(-1i64 as u64).len(), 10);
    }

    #[test]
    fn fields_carry_their_number_and_wire_type() {
        let mut m = Message::new();
        m.int(1, 150);
        assert_eq!(m.clone().into_bytes(), [0x08, 0x96, 0x01]);
        let mut s = Message::new();
        s.string(2, "testing");
        assert_eq!(
            s.into_bytes(),
            [0x12, 0x07, b't', b'e', b's', b't', b'i', b'n', b'g']
        );
        let mut f = Message::new();
        f.float(2, 1.0);
        assert_eq!(f.into_bytes(), [0x15, 0, 0, 0x80, 0x3f]);
    }

    #[test]
    fn nested_messages_are_length_prefixed() {
        let mut inner = Message::new();
        inner.int(1, 3);
        let mut outer = Message::new();
        outer.message(3, &inner);
        assert_eq!(outer.into_bytes(), [0x1a, 0x02, 0x08, 0x03]);
        let t = tensor(
            "w",
            DataType::Float,
            &[2],
            &le_bytes(&[1f32, 2.0], f32::to_le_bytes),
        );
        let bytes = t.into_bytes();
        // dims 2, data_type FLOAT, name "w", 8 raw bytes.
        assert_eq!(
            &bytes[..8],
            [0x08, 0x02, 0x10, 0x01, 0x42, 0x01, b'w', 0x4a]
        );
        assert_eq!(bytes[8], 8);
    }
}
