;; tanh of n float32 values, four lanes at a time. Compiled by `npm run build:wasm` into
;; tanhWasm.ts; see tanh.ts.
;;
;; With a = |x| (clamped to 10, where tanh rounds to 1 in float32) and the sign of x put back at the end:
;;   a < 0.4:  the odd Taylor series a + a^3 p(a^2), terms to a^13 (the first omitted, a^15, is
;;             under 2e-9 there), so small values keep their relative accuracy;
;;   a >= 0.4: 1 - 2 / (e^(2a) + 1), the result >= 0.38, so no cancellation; e^y = 2^k e^r with
;;             k = round(y / ln 2), r = y - k ln 2 (ln 2 in two parts) in [-0.35, 0.35], and e^r
;;             by its Taylor series to r^6 (relative error under 1e-7).
;; NaN stays NaN (min and the polynomials pass it on), +-Infinity gives +-1, -0 gives -0.
;; Pointers are byte offsets; the output does not alias the input.
(module
  (import "env" "memory" (memory 1))
  (func $tanh4 (param $x v128) (result v128)
    (local $a v128) (local $t v128) (local $p v128) (local $y v128) (local $k v128) (local $r v128) (local $e v128)
    (local.set $a (f32x4.min (f32x4.abs (local.get $x)) (v128.const f32x4 10 10 10 10)))
    ;; Small a: a + a t p(t), t = a^2.
    (local.set $t (f32x4.mul (local.get $a) (local.get $a)))
    (local.set $p (v128.const f32x4 0.0035921280 0.0035921280 0.0035921280 0.0035921280))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 -0.0088632355 -0.0088632355 -0.0088632355 -0.0088632355)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 0.021869488 0.021869488 0.021869488 0.021869488)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 -0.053968254 -0.053968254 -0.053968254 -0.053968254)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 0.13333334 0.13333334 0.13333334 0.13333334)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 -0.33333334 -0.33333334 -0.33333334 -0.33333334)))
    (local.set $p (f32x4.add (local.get $a) (f32x4.mul (f32x4.mul (local.get $a) (local.get $t)) (local.get $p))))
    ;; Large a: e = e^(2a) = 2^k e^r.
    (local.set $y (f32x4.add (local.get $a) (local.get $a)))
    (local.set $k (f32x4.floor (f32x4.add (f32x4.mul (local.get $y) (v128.const f32x4 1.442695 1.442695 1.442695 1.442695)) (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (local.set $r (f32x4.sub (local.get $y) (f32x4.mul (local.get $k) (v128.const f32x4 0.693145751953125 0.693145751953125 0.693145751953125 0.693145751953125))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $k) (v128.const f32x4 1.4286068e-06 1.4286068e-06 1.4286068e-06 1.4286068e-06))))
    (local.set $e (v128.const f32x4 0.0013888889 0.0013888889 0.0013888889 0.0013888889))
    (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 0.008333334 0.008333334 0.008333334 0.008333334)))
    (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 0.041666668 0.041666668 0.041666668 0.041666668)))
    (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 0.16666667 0.16666667 0.16666667 0.16666667)))
    (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 0.5 0.5 0.5 0.5)))
    (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 1 1 1 1)))
    (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 1 1 1 1)))
    ;; Times 2^k: k + 127 in the exponent bits (k is 0 .. 29 here).
    (local.set $e (f32x4.mul (local.get $e)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (local.set $e (f32x4.sub (v128.const f32x4 1 1 1 1)
      (f32x4.div (v128.const f32x4 2 2 2 2) (f32x4.add (local.get $e) (v128.const f32x4 1 1 1 1)))))
    ;; The small-a lanes from the series, the others from e; then x's sign.
    (v128.or
      (v128.bitselect (local.get $p) (local.get $e) (f32x4.lt (local.get $a) (v128.const f32x4 0.4 0.4 0.4 0.4)))
      (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))
  (func (export "tanh") (param $in i32) (param $out i32) (param $n i32)
    (local $i i32) (local $at i32)
    ;; Whole vectors of four.
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (v128.store (i32.add (local.get $out) (local.get $at)) (call $tanh4 (v128.load (i32.add (local.get $in) (local.get $at)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vectors)))
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then
        (if (i32.ge_u (local.get $n) (i32.const 4))
          (then
            ;; The last four values again, overlapping the previous vector (same results).
            (local.set $at (i32.shl (i32.sub (local.get $n) (i32.const 4)) (i32.const 2)))
            (v128.store (i32.add (local.get $out) (local.get $at)) (call $tanh4 (v128.load (i32.add (local.get $in) (local.get $at))))))
          (else
            ;; Fewer than four values in all: one lane at a time.
            (loop $singles
              (local.set $at (i32.shl (local.get $i) (i32.const 2)))
              (f32.store (i32.add (local.get $out) (local.get $at))
                (f32x4.extract_lane 0 (call $tanh4 (f32x4.splat (f32.load (i32.add (local.get $in) (local.get $at)))))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $singles (i32.lt_u (local.get $i) (local.get $n)))))))))
)
