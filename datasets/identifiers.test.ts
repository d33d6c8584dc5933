import { describe, expect, it } from 'vitest';
import { creditCodeCheckChar, identifierKind, isCreditCode, isLuhn, isMobile, isResidentId, residentIdCheckChar } from './index.ts';

describe('identifier validators', () => {
  it('resident ID numbers: the GB 11643 example and its check character', () => {
    // The standard's own example number.
    expect(residentIdCheckChar('11010519491231002')).toBe('X');
    expect(isResidentId('11010519491231002X')).toBe(true);
    expect(isResidentId('110105194912310021')).toBe(false); // wrong check character
    expect(isResidentId('11010519490231002X')).toBe(false); // 31 February... invalid date
    expect(isResidentId('11010519491231002')).toBe(false);
  });
  it('unified social credit codes (GB 32100)', () => {
    expect(creditCodeCheckChar('91350100M000100Y4')).toBe('3');
    expect(isCreditCode('91350100M000100Y43')).toBe(true);
    expect(isCreditCode('91350100M000100Y44')).toBe(false);
    expect(isCreditCode('91350100M000I00Y43')).toBe(false); // I is not in the alphabet
  });
  it('mobiles, bank cards and the kind of a value', () => {
    expect(isMobile('13812345678')).toBe(true);
    expect(isMobile('12812345678')).toBe(false);
    expect(isLuhn('4111111111111111')).toBe(true);
    expect(isLuhn('4111111111111112')).toBe(false);
    expect(identifierKind('11010519491231002X')).toBe('resident_id');
    expect(identifierKind(' 13812345678 ')).toBe('mobile');
    expect(identifierKind('6222021234567890128')).toBe(isLuhn('6222021234567890128') ? 'bank_card' : null);
    expect(identifierKind('hello')).toBeNull();
    expect(identifierKind('138****5678')).toBeNull();
  });
});
