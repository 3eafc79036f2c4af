//! A small builder of ONNX graphs: named values, initializers, nodes, and the handful of
//! composite blocks a BERT needs (linear layers in fp32 or int8, LayerNorm, exact GELU).
//!
//! Every helper returns the name of the value it produced, so the BERT code reads like
//! the forward pass it mirrors. Node and value names are generated from a counter and a
//! hint, which keeps them unique without the caller tracking them.

use crate::proto::{self, Attr, DataType, Dim, Message, le_bytes};

/// Opset of the default ONNX domain. 17 has `LayerNormalization` and axes-as-input
/// `ReduceSum`/`Unsqueeze`, and ONNX Runtime 1.32 runs it natively.
pub const OPSET: i64 = 17;
/// Microsoft contrib operators (`DynamicQuantizeMatMul`), a domain ONNX Runtime ships.
pub const MS_DOMAIN: &str = "com.microsoft";

/// How the weight matrices of linear layers are stored and multiplied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// f32 weights, `MatMul` + `Add`.
    Fp32,
    /// int8 weights with one scale per output channel (symmetric, zero point 0);
    /// activations quantised per call to u8 (`DynamicQuantizeMatMul`, VNNI kernels).
    Int8,
}

impl Precision {
    /// Short name used in cache file names and reports.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Int8 => "int8",
        }
    }
}

/// A graph being built; its linear layers all use one [`Precision`].
#[derive(Debug)]
pub struct GraphBuilder {
    precision: Precision,
    nodes: Vec<Message>,
    initializers: Vec<Message>,
    inputs: Vec<Message>,
    outputs: Vec<Message>,
    counter: usize,
    uses_ms_domain: bool,
}

impl GraphBuilder {
    /// An empty graph whose linear layers use `precision`.
    pub fn new(precision: Precision) -> GraphBuilder {
        GraphBuilder {
            precision,
            nodes: Vec::new(),
            initializers: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            counter: 0,
            uses_ms_domain: false,
        }
    }

    fn fresh(&mut self, hint: &str) -> String {
        self.counter += 1;
        format!("{hint}_{}", self.counter)
    }

    /// Declares a graph input.
    pub fn input(&mut self, name: &str, data_type: DataType, dims: &[Dim]) -> String {
        self.inputs.push(proto::value_info(name, data_type, dims));
        name.to_owned()
    }

    /// Declares `value` a graph output under `name` (an `Identity` renames it).
    pub fn output(&mut self, value: &str, name: &str, data_type: DataType, dims: &[Dim]) {
        self.op("Identity", &[value], name, &[]);
        self.outputs.push(proto::value_info(name, data_type, dims));
    }

    /// An f32 initializer of the given shape.
    pub fn f32s(&mut self, hint: &str, dims: &[usize], values: &[f32]) -> String {
        debug_assert_eq!(dims.iter().product::<usize>(), values.len());
        self.constant(
            hint,
            DataType::Float,
            dims,
            &le_bytes(values, f32::to_le_bytes),
        )
    }

    /// An i64 initializer of the given shape.
    pub fn i64s(&mut self, hint: &str, dims: &[usize], values: &[i64]) -> String {
        self.constant(
            hint,
            DataType::Int64,
            dims,
            &le_bytes(values, i64::to_le_bytes),
        )
    }

    /// A scalar f32 initializer.
    pub fn scalar(&mut self, hint: &str, value: f32) -> String {
        self.f32s(hint, &[], &[value])
    }

    fn constant(&mut self, hint: &str, data_type: DataType, dims: &[usize], raw: &[u8]) -> String {
        let name = self.fresh(hint);
        let dims: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
        self.initializers
            .push(proto::tensor(&name, data_type, &dims, raw));
        name
    }

    /// Adds a default-domain node with one output named from `hint`; returns it.
    pub fn op(
        &mut self,
        op_type: &str,
        inputs: &[&str],
        hint: &str,
        attrs: &[(&str, Attr)],
    ) -> String {
        self.op_in("", op_type, inputs, hint, attrs)
    }

    fn op_in(
        &mut self,
        domain: &str,
        op_type: &str,
        inputs: &[&str],
        hint: &str,
        attrs: &[(&str, Attr)],
    ) -> String {
        // Graph outputs keep their exact name; everything else gets a unique one.
        let out = if op_type == "Identity" {
            hint.to_owned()
        } else {
            self.fresh(hint)
        };
        let name = format!("n_{out}");
        self.nodes
            .push(proto::node(op_type, domain, &name, inputs, &[&out], attrs));
        out
    }

    /// `x · W^T + b` for a PyTorch-layout weight `w` (`[out, in]`, row-major) and an
    /// optional bias.
    pub fn linear(
        &mut self,
        x: &str,
        w: &[f32],
        b: Option<&[f32]>,
        inputs: usize,
        outputs: usize,
        hint: &str,
    ) -> String {
        let wt = transpose(w, outputs, inputs);
        let bias = b.map(|b| self.f32s(&format!("{hint}_b"), &[outputs], b));
        match self.precision {
            Precision::Fp32 => {
                let weight = self.f32s(&format!("{hint}_w"), &[inputs, outputs], &wt);
                let product = self.op("MatMul", &[x, &weight], hint, &[]);
                match bias {
                    Some(bias) => self.op("Add", &[&product, &bias], hint, &[]),
                    None => product,
                }
            }
            Precision::Int8 => {
                let (q, scales) = quantize_per_column(&wt, inputs, outputs);
                let qname = self.constant(
                    &format!("{hint}_wq"),
                    DataType::Int8,
                    &[inputs, outputs],
                    &q.iter().map(|&v| v as u8).collect::<Vec<u8>>(),
                );
                let scale = self.f32s(&format!("{hint}_ws"), &[outputs], &scales);
                self.uses_ms_domain = true;
                // Inputs: A, B, b_scale, b_zero_point (absent: 0), bias (optional).
                let mut inputs = vec![x, qname.as_str(), scale.as_str()];
                if let Some(bias) = &bias {
                    inputs.extend(["", bias.as_str()]);
                }
                self.op_in(MS_DOMAIN, "DynamicQuantizeMatMul", &inputs, hint, &[])
            }
        }
    }

    /// LayerNorm over the last axis.
    pub fn layer_norm(
        &mut self,
        x: &str,
        gamma: &[f32],
        beta: &[f32],
        eps: f64,
        hint: &str,
    ) -> String {
        let g = self.f32s(&format!("{hint}_g"), &[gamma.len()], gamma);
        let b = self.f32s(&format!("{hint}_b"), &[beta.len()], beta);
        self.op(
            "LayerNormalization",
            &[x, &g, &b],
            hint,
            &[
                ("axis", Attr::Int(-1)),
                ("epsilon", Attr::Float(eps as f32)),
            ],
        )
    }

    /// Exact GELU, `x · 0.5 · (1 + erf(x / √2))`, in the op order ONNX Runtime's GELU
    /// fusion recognises (so it runs as one fused kernel).
    pub fn gelu(&mut self, x: &str, hint: &str) -> String {
        let sqrt2 = self.scalar("sqrt2", std::f32::consts::SQRT_2);
        let one = self.scalar("one", 1.0);
        let half = self.scalar("half", 0.5);
        let d = self.op("Div", &[x, &sqrt2], hint, &[]);
        let e = self.op("Erf", &[&d], hint, &[]);
        let a = self.op("Add", &[&e, &one], hint, &[]);
        let m = self.op("Mul", &[x, &a], hint, &[]);
        self.op("Mul", &[&m, &half], hint, &[])
    }

    /// The serialised `ModelProto`, with `metadata` as key/value properties.
    pub fn finish(self, name: &str, metadata: &[(&str, &str)]) -> Vec<u8> {
        let graph = proto::graph(
            name,
            &self.nodes,
            &self.initializers,
            &self.inputs,
            &self.outputs,
        );
        let mut opsets = vec![("", OPSET)];
        if self.uses_ms_domain {
            opsets.push((MS_DOMAIN, 1));
        }
        proto::model(&graph, &opsets, metadata).into_bytes()
    }
}

/// `[rows, cols]` row-major → `[cols, rows]` row-major.
pub fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0f32; m.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = m[r * cols + c];
        }
    }
    out
}

/// Symmetric int8 quantisation of a `[rows, cols]` matrix with one scale per column
/// (`max |w| / 127`, so the range is used fully and 0 stays exactly 0). A column of
/// zeros gets scale 1 (any scale represents it exactly).
pub fn quantize_per_column(m: &[f32], rows: usize, cols: usize) -> (Vec<i8>, Vec<f32>) {
    let mut scales = vec![0f32; cols];
    for r in 0..rows {
        for (c, s) in scales.iter_mut().enumerate() {
            *s = s.max(m[r * cols + c].abs());
        }
    }
    for s in &mut scales {
        *s = if *s > 0.0 { *s / 127.0 } else { 1.0 };
    }
    let q = m
        .iter()
        .enumerate()
        .map(|(i, &v)| (v / scales[i % cols]).round().clamp(-127.0, 127.0) as i8)
        .collect();
    (q, scales)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_swaps_axes() {
        let m = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2 × 3
        assert_eq!(transpose(&m, 2, 3), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    }

    #[test]
    fn per_column_quantisation_bounds_the_error_by_half_a_step() {
        let m = [0.5, -2.0, 0.0, 0.25, 1.0, 0.0]; // 2 × 3, last column all zero
        let (q, s) = quantize_per_column(&m, 2, 3);
        assert_eq!(s[2], 1.0);
        assert_eq!(q[0], 127);
        assert_eq!(q[1], -127);
        for (i, &v) in m.iter().enumerate() {
            let back = f32::from(q[i]) * s[i % 3];
            assert!((back - v).abs() <= s[i % 3] / 2.0 + 1e-7, "{v} → {back}");
        }
    }
}
