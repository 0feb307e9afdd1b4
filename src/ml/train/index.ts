export * from './trainer';
export * from './plateau';
export * from './finetune';
