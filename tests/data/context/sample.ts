// A small module for the symbol index tests.
export const LIMIT: number = 10;

export interface Shape {
  area(): number;
}

export type Name = string;

export enum Color {
  Red,
  Green,
}

export function helper(value: number): number {
  return value * 2;
}

export class Square implements Shape {
  constructor(private side: number) {}

  area(): number {
    return helper(this.side) * this.side;
  }
}
