// What an app writes against the generated types; `tsc --strict` must accept it.
import type { ConsumerHomeQuery, TopUpAndRefreshMutation, UserErrorCode } from './operations';

// Amounts are strings: exact, never a float.
export function balanceOf(data: ConsumerHomeQuery): string | null {
  const me = data.me;
  if (me === null || me.__typename !== 'Consumer') return null;
  return me.wallet === null ? null : me.wallet.balance.amount;
}

// Every code the schema knows, handled; a code added later still lands in `default`.
export function messageFor(code: UserErrorCode): string {
  switch (code) {
    case 'INSUFFICIENT_FUNDS': return 'Not enough money in the wallet';
    case 'INVALID_AMOUNT': return 'Check the amount';
    case 'CREDIT_LIMIT_EXCEEDED': return 'Over the credit limit';
    case 'INSTANT_REDEMPTION_LIMIT_EXCEEDED': return 'Over today\'s instant redemption limit';
    case 'IDEMPOTENCY_KEY_REUSED': return 'This request was already sent with other values';
    case 'NOT_FOUND': return 'Not found';
    case 'INVALID_STATE': return 'Not possible now';
    case 'INVALID_INPUT': return 'Check the input';
    case 'FORBIDDEN': return 'Not allowed';
    default: {
      const unknown: never = code;
      return `Something went wrong (${String(unknown)})`;
    }
  }
}

export function newBalance(result: TopUpAndRefreshMutation): string | null {
  return result.topUp.consumer?.wallet?.balance.amount ?? null;
}
