;; Adam's update of one variable in one pass over the tfjs wasm heap (Kingma & Ba 2015, Algorithm 1),
;; four float32 lanes at a time. Compiled by `npm run build:wasm` into adamWasm.ts; see adam.ts.
;;
;; The operations, and their order, are those of the tf ops in src/train/optimizers.ts, each rounded
;; to float32 as those kernels round them, so both paths give the same bits:
;;   m' = m b1 + g (1 - b1)         v' = v b2 + (g g) (1 - b2)
;;   w' = w - ((m' / c1) / (sqrt(v' / c2) + eps)) lr,    c1 = 1 - b1^t, c2 = 1 - b2^t
;; Pointers are byte offsets of float32 arrays of n values; the outputs do not alias the inputs.
(module
  (import "env" "memory" (memory 1))
  (func (export "adam")
    (param $w i32) (param $m i32) (param $v i32) (param $g i32)
    (param $outW i32) (param $outM i32) (param $outV i32) (param $n i32)
    (param $b1 f32) (param $a1 f32) (param $b2 f32) (param $a2 f32)
    (param $c1 f32) (param $c2 f32) (param $eps f32) (param $lr f32)
    (local $i i32) (local $end i32) (local $at i32)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    ;; Whole vectors of four: byte positions 0, 16, ... below 16 floor(n / 4).
    (local.set $end (i32.shl (i32.shr_u (local.get $n) (i32.const 2)) (i32.const 4)))
    (block $done
      (loop $vectors
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $i))))
        (local.set $mv
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $i))) (f32x4.splat (local.get $b1)))
            (f32x4.mul (local.get $gv) (f32x4.splat (local.get $a1)))))
        (local.set $vv
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $i))) (f32x4.splat (local.get $b2)))
            (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (f32x4.splat (local.get $a2)))))
        (v128.store (i32.add (local.get $outM) (local.get $i)) (local.get $mv))
        (v128.store (i32.add (local.get $outV) (local.get $i)) (local.get $vv))
        (v128.store (i32.add (local.get $outW) (local.get $i))
          (f32x4.sub
            (v128.load (i32.add (local.get $w) (local.get $i)))
            (f32x4.mul
              (f32x4.div
                (f32x4.div (local.get $mv) (f32x4.splat (local.get $c1)))
                (f32x4.add
                  (f32x4.sqrt (f32x4.div (local.get $vv) (f32x4.splat (local.get $c2))))
                  (f32x4.splat (local.get $eps))))
              (f32x4.splat (local.get $lr)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vectors)))
    ;; The last n mod 4 values, one at a time.
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $i))))
        (local.set $ms
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $m) (local.get $i))) (local.get $b1))
            (f32.mul (local.get $gs) (local.get $a1))))
        (local.set $vs
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $v) (local.get $i))) (local.get $b2))
            (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $a2))))
        (f32.store (i32.add (local.get $outM) (local.get $i)) (local.get $ms))
        (f32.store (i32.add (local.get $outV) (local.get $i)) (local.get $vs))
        (f32.store (i32.add (local.get $outW) (local.get $i))
          (f32.sub
            (f32.load (i32.add (local.get $w) (local.get $i)))
            (f32.mul
              (f32.div
                (f32.div (local.get $ms) (local.get $c1))
                (f32.add (f32.sqrt (f32.div (local.get $vs) (local.get $c2))) (local.get $eps)))
              (local.get $lr))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail)))))
