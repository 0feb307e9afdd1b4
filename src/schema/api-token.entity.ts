import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Role } from './enums';
import { DateTimeScalar } from './scalars';

/** An API token. Only the sha256 of the secret is stored; the secret is shown once, at creation. */
@Entity({ name: 'api_token' })
@ObjectType()
export class ApiToken {
  @PrimaryGeneratedColumn('uuid')
  @Field(() => ID)
  id: string;

  /** sha256 hex of the token secret. */
  @Column({ type: 'text', unique: true })
  hash: string;

  @Column({ type: 'text' })
  @Field(() => Role)
  role: Role;

  @Column({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  name: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  @Field(() => DateTimeScalar)
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  @Field(() => DateTimeScalar, { nullable: true })
  revokedAt: Date | null;
}
