/*
 * A Linux user-mode environment for the riscv-tests ISA tests
 * (github.com/riscv-software-src/riscv-tests, isa/rv64u*), written for plume
 * in place of their bare-metal env/p: a test is a static program whose
 * _start runs the test body; a pass exits with status 0, a failure with the
 * failing test's number (TESTNUM, gp), as exit_group(2). Built by
 * build/build_riscv_tests.sh; the test sources are not committed.
 */
#ifndef PLUME_RISCV_TEST_H
#define PLUME_RISCV_TEST_H

#define TESTNUM gp
#define SYS_exit_group 94

#define RVTEST_RV64U
#define RVTEST_RV32U
/* Linux user mode starts with the FPU on: nothing to enable. */
#define RVTEST_RV64UF
#define RVTEST_RV32UF

#define RVTEST_CODE_BEGIN \
  .text;                  \
  .globl _start;          \
  _start:                 \
  li TESTNUM, 0;

#define RVTEST_CODE_END \
  unimp

#define RVTEST_PASS      \
  fence;                 \
  li a0, 0;              \
  li a7, SYS_exit_group; \
  ecall

#define RVTEST_FAIL      \
  fence;                 \
  mv a0, TESTNUM;        \
  li a7, SYS_exit_group; \
  ecall

#define RVTEST_DATA_BEGIN \
  .data;                  \
  .balign 16;
#define RVTEST_DATA_END

#endif
